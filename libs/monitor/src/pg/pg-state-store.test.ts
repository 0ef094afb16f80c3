import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../audit-log.js';
import { fromAuditLog, fromCalibrationStore, type AsyncAuditLog, type AsyncCalibrationStore } from '../shared-state.js';
import { openStateStore } from '../state-store.js';
import type { StateRetention } from '../state/records.js';
import { auditEntry as entry } from '../test-audit.js';
import { freePort, usePostgresForFile } from '../test-postgres.js';
import { PG_SCHEMA_VERSION } from './pg-schema.js';
import { openPgStateStore, redactUrl } from './pg-state-store.js';

/**
 * What the SQLite and PostgreSQL stores both promise the API (age retention, all-or-nothing
 * batches, calibration versions, secrets that outlive the process), then what only PostgreSQL
 * does (schema version table, replicas sharing one database, unreachable server).
 */

const postgres = usePostgresForFile();
const { missing } = postgres;

const closers: Array<() => unknown> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

interface Opened {
  audit: AsyncAuditLog;
  calibrations: AsyncCalibrationStore;
  secret(name: string): Promise<Buffer>;
  prune(): Promise<void>;
}
/** Opens a fresh store; `again` opens a second handle on the same data (a restart, or another replica). */
type Open = (retention?: StateRetention, now?: () => number) => Promise<{ store: Opened; again(): Promise<Opened> }>;

const sqlite: Open = async (retention, now) => {
  const path = ':memory:';
  const open = (): Opened => {
    const s = openStateStore({ path, retention, ...(now && { now }) });
    closers.push(() => s.close());
    return { audit: fromAuditLog(s.auditLog()), calibrations: fromCalibrationStore(s), secret: async (n) => s.secret(n), prune: async () => s.prune() };
  };
  const store = open();
  // ':memory:' cannot be reopened: the same handle stands in for the second one.
  return { store, again: async () => store };
};

const postgresStore: Open = async (retention, now) => {
  const url = await postgres.database('store');
  const open = async (replicaId: string): Promise<Opened> => {
    const s = await openPgStateStore({ url, replicaId, retention, ...(now && { now }) });
    closers.push(() => s.close());
    return { audit: s.audit, calibrations: s, secret: (n) => s.secret(n), prune: () => s.prune() };
  };
  return { store: await open('a'), again: () => open('b') };
};

const stores: Array<[string, Open]> = [['SQLite', sqlite], ...(missing ? [] : [['PostgreSQL', postgresStore] as [string, Open]])];

describe.each(stores)('state store contract: %s', (_name, open) => {
  it('drops audit rows past the age limit', async () => {
    let now = Date.parse('2026-01-10T00:00:00Z');
    const { store } = await open({ auditMaxAgeMs: 2 * 86_400_000 }, () => now);
    await store.audit.addAll([entry('old', '2026-01-01T00:00:00Z'), entry('new', '2026-01-09T12:00:00Z')]);
    expect(await store.audit.get('old')).toBeUndefined();
    expect((await store.audit.get('new'))?.id).toBe('new');
    now += 3 * 86_400_000;
    await store.prune();
    expect(await store.audit.size()).toBe(0);
  });

  it('writes a batch all or nothing', async () => {
    const { store } = await open();
    // A circular value cannot be serialised: the batch fails at its second entry.
    const broken = entry('y') as AuditEntry & { self?: unknown };
    broken.self = broken;
    await expect(store.audit.addAll([entry('x'), broken])).rejects.toThrow();
    expect(await store.audit.size()).toBe(0);
  });

  it('keeps calibration versions in order and one active version', async () => {
    const { store, again } = await open();
    const c = store.calibrations;
    expect(await c.calibrations('m')).toEqual([]);
    expect(await c.activeCalibration('m')).toBeNull();
    await c.saveCalibration('m', 'v1', { t: 1 });
    await c.saveCalibration('m', 'v2', { t: 2 });
    await c.saveCalibration('m', 'v1', { t: 1.5 }); // replaced, keeps its place
    await c.saveCalibration('other', 'v1', { t: 9 });
    await c.setActiveCalibration('m', 'v2');
    const other = (await again()).calibrations;
    expect(await other.calibrations('m')).toEqual([
      { version: 'v1', file: { t: 1.5 } },
      { version: 'v2', file: { t: 2 } },
    ]);
    expect(await other.activeCalibration('m')).toBe('v2');
    expect(await other.activeCalibration('other')).toBeNull();
    await other.setActiveCalibration('m', null);
    expect(await c.activeCalibration('m')).toBeNull();
  });

  it('gives versions added at the same instant from several handles distinct ids, losing none', async () => {
    const { store, again } = await open();
    await store.calibrations.saveCalibration('m', 'v2', { t: 'configured' });
    // Four handles (four replicas on PostgreSQL), eight versions each, all in flight at once.
    const handles = [store, ...(await Promise.all([again(), again(), again()]))];
    const added = await Promise.all(
      handles.flatMap((h, replica) => Array.from({ length: 8 }, (_, i) => h.calibrations.addCalibration('m', { replica, i }).then((id) => ({ id, replica, i })))),
    );
    expect(new Set(added.map((a) => a.id)).size).toBe(32);
    const stored = await store.calibrations.calibrations('m');
    // Numbered on from the highest stored id, with no gap and nothing overwritten.
    expect(stored.map((c) => c.version).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(Array.from({ length: 33 }, (_, i) => `v${i + 2}`));
    expect(stored.find((c) => c.version === 'v2')?.file).toEqual({ t: 'configured' });
    for (const a of added) expect(stored.find((c) => c.version === a.id)?.file).toEqual({ replica: a.replica, i: a.i });
    expect(await store.calibrations.addCalibration('other', { t: 0 })).toBe('v1');
  });

  it('keeps one secret per name for every handle', async () => {
    const { store, again } = await open();
    const secret = await store.secret('feedback');
    expect(secret).toHaveLength(32);
    expect((await store.secret('other')).equals(secret)).toBe(false);
    expect((await (await again()).secret('feedback')).equals(secret)).toBe(true);
  });
});

describe.skipIf(missing !== null)('PostgreSQL state store', () => {
  it('records its schema version, migrates once, and refuses a newer schema', async () => {
    const url = await postgres.database('schema');
    const [a, b] = await Promise.all([openPgStateStore({ url, replicaId: 'a' }), openPgStateStore({ url, replicaId: 'b' })]);
    closers.push(() => a.close(), () => b.close());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query('SELECT version FROM glassbox_schema_version')).rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
      await client.query('INSERT INTO glassbox_schema_version (version) VALUES ($1)', [PG_SCHEMA_VERSION + 1]);
    } finally {
      await client.end();
    }
    await expect(openPgStateStore({ url })).rejects.toMatchObject({ code: 'STORE_FAILED', message: expect.stringMatching(/newer glassbox/) });
  });

  it('shares the audit log between replicas, each row naming its replica', async () => {
    const url = await postgres.database('replicas');
    const a = await openPgStateStore({ url, replicaId: 'a' });
    const b = await openPgStateStore({ url, replicaId: 'b' });
    closers.push(() => a.close(), () => b.close());
    await a.audit.addAll([entry('1'), entry('2')]);
    await b.audit.addAll([entry('3')]);
    expect(await b.audit.addFeedback('1', { label: 'anger', correct: false, time: 't' })).toBe(true);
    expect((await a.audit.get('1'))?.feedback).toEqual({ label: 'anger', correct: false, time: 't' });
    expect((await a.audit.list(10)).entries.map((e) => e.id)).toEqual(['3', '2', '1']);
    await a.probe();
    const summary = await b.summary();
    expect(summary).toMatchObject({ driver: 'pg', schemaVersion: PG_SCHEMA_VERSION, auditRows: 3 });
    expect(summary.replicas).toEqual([
      { replica: 'a', auditRows: 2, heartbeat: expect.any(String) },
      { replica: 'b', auditRows: 1, heartbeat: null },
    ]);
  });

  it('announces new versions and selections to watchers on other handles, and a watch survives a lost connection', async () => {
    const url = await postgres.database('notify');
    const a = await openPgStateStore({ url, replicaId: 'a' });
    const b = await openPgStateStore({ url, replicaId: 'b' });
    closers.push(() => a.close(), () => b.close());
    const heard: Array<string | null> = [];
    let wake: () => void = () => undefined;
    const next = () => new Promise<void>((resolve) => (wake = resolve));
    const watch = b.watchCalibrations((modelId) => {
      heard.push(modelId);
      wake();
    });
    await watch.ready;
    let told = next();
    const id = await a.addCalibration('m', { t: 1 });
    await told;
    told = next();
    await a.setActiveCalibration('other', null);
    await told;
    expect(heard).toEqual(['m', 'other']);
    // The server drops the listening connection: the watch reconnects, says it may have missed
    // something (null), and hears the next change.
    told = next();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'glassbox b listen'");
    } finally {
      await admin.end();
    }
    await told;
    expect(heard.at(-1)).toBeNull();
    told = next();
    await a.setActiveCalibration('m', id);
    await told;
    expect(heard.at(-1)).toBe('m');
    // A closed watch hears nothing more.
    await watch.close();
    await a.setActiveCalibration('m', null);
    expect(await b.activeCalibration('m')).toBeNull();
    expect(heard).toHaveLength(4);
  });

  it('fails with STORE_FAILED, without the password, when the server is unreachable', async () => {
    const url = `postgres://glassbox:hunter2@127.0.0.1:${await freePort()}/postgres`;
    const error = await openPgStateStore({ url, timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_FAILED' });
    expect(String((error as Error).message)).not.toContain('hunter2');
    expect(redactUrl(url)).toBe(url.replace('hunter2', '***'));
    await expect(openPgStateStore({ url: '/var/lib/state.db' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
