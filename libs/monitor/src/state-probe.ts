import type { SqliteDatabase } from './sqlite.js';

/** Size of the probe row: a few pages, so the probe needs free space as an append does. */
export const PROBE_BYTES = 16 * 1024;

/**
 * A small write that tells whether the state database takes writes again (after a full disk or
 * max_page_count): it commits a row of `bytes` zero bytes in the meta table, then, in a second
 * transaction, removes it and records the time as the `heartbeat` meta row. The first commit
 * needs free pages and WAL space like a real append; updating a short row in place would succeed
 * on a full disk and report a recovery too early. Throws the driver's error when it cannot write.
 */
export function probeWrite(db: SqliteDatabase, now: number, bytes: number = PROBE_BYTES): void {
  db.transaction(() => {
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('heartbeat.probe', zeroblob(?))").run(bytes);
  });
  db.transaction(() => {
    db.prepare("DELETE FROM meta WHERE key = 'heartbeat.probe'").run();
    db.prepare("INSERT INTO meta (key, value) VALUES ('heartbeat', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
      new Date(now).toISOString(),
    );
  });
}
