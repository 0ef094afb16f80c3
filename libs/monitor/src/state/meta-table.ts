import { randomBytes } from 'node:crypto';
import { probeWrite } from '../state-probe.js';
import type { StoreContext } from './context.js';
import { nullableStr } from './context.js';

/** The meta table: key-value rows (stored references, the active calibration, secrets, the heartbeat). */
export interface MetaTable {
  /** The value under `key`, or null. Unguarded: for other tables' guarded calls. */
  get(key: string): string | null;
  /** Sets (or, with null, deletes) `key`. Unguarded. */
  set(key: string, value: string | null): void;
  /** A random 32-byte secret under `name`, created on first use. */
  secret(name: string): Buffer;
  /** A small write that needs free space (see state-probe.ts), recording the heartbeat. */
  probe(): void;
}

export function metaTable(ctx: StoreContext): MetaTable {
  const { sql, guard } = ctx;
  const get = (key: string): string | null => nullableStr(sql('SELECT value FROM meta WHERE key = ?').get(key)?.['value']);
  const set = (key: string, value: string | null): void => {
    if (value === null) sql('DELETE FROM meta WHERE key = ?').run(key);
    else sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  };
  return {
    get,
    set,
    secret(name) {
      return guard('read a secret', () =>
        ctx.db.transaction(() => {
          const key = `secret:${name}`;
          let hex = get(key);
          if (hex === null) {
            hex = randomBytes(32).toString('hex');
            set(key, hex);
          }
          return Buffer.from(hex, 'hex');
        }),
      );
    },
    probe() {
      guard('write a heartbeat', () => probeWrite(ctx.db, ctx.now()));
    },
  };
}
