import { spawnSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { availableSqliteDrivers, openStateStore, type AuditLog, type StateStore } from '@glassbox/monitor';
import { LABELS, startTestServer, TEST_FEELINGS, TEST_SUBJECTS, useScratchWithReference, type TestResponse, type TestServer } from './test-server.js';

/**
 * Never acknowledge what was not stored. A server whose state database stops taking writes (a
 * genuinely full disk on a small tmpfs, SQLite's max_page_count, or a store whose writes throw)
 * takes concurrent loopback traffic. Every request answered 2xx must have its prediction in the
 * audit trail, then and after a restart; refused requests get 503 AUDIT_WRITE_FAILED with
 * Retry-After and no ids; /ready turns 503 and recovers by itself once space returns; the
 * failure counter and gauge move on /metrics; the log says it once per condition.
 */

const KEY = 'k';
const AUTH = { authorization: `Bearer ${KEY}` };
const CLIENTS = 4;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

const SUBJECTS = TEST_SUBJECTS;
const FEELINGS = TEST_FEELINGS;
/** A few hundred characters, different for each i, so audit rows (with storeText) fill pages fast. */
const text = (i: number) =>
  Array.from({ length: 6 }, (_, k) => `${SUBJECTS[(i + k) % SUBJECTS.length]} ${FEELINGS[(i * 5 + k) % FEELINGS.length]}`).join(', ') + ` (#${i})`;

/** A server's log, one JSON object per line. */
function captureLog() {
  const lines: Array<{ level: string; event: string; msg: string }> = [];
  return {
    lines,
    sink: { write: (line: string) => lines.push(JSON.parse(line)) },
    count: (prefix: string) => lines.filter((l) => l.msg.startsWith(prefix)).length,
  };
}

interface Traffic {
  /** prediction id -> label, for every prediction in a 200 response */
  acked: Map<string, string>;
  refused: TestResponse[];
  /** Anything else (must stay empty). */
  unexpected: TestResponse[];
  sent: number;
}

/**
 * CLIENTS concurrent clients post /v1/predict (1 to 3 texts each) until `done()` holds after a
 * response or `max` requests were sent.
 */
async function drive(t: TestServer, start: number, max: number, done: (traffic: Traffic) => boolean): Promise<Traffic> {
  const traffic: Traffic = { acked: new Map(), refused: [], unexpected: [], sent: 0 };
  const client = async (c: number) => {
    while (traffic.sent < max && !done(traffic)) {
      const n = 1 + ((traffic.sent + c) % 3);
      const inputs = Array.from({ length: n }, (_, k) => text(start + traffic.sent * 3 + k));
      traffic.sent++;
      const res = await t.post('/v1/predict', { inputs });
      if (res.status === 200) for (const p of res.body.predictions) traffic.acked.set(p.id, p.label);
      else if (res.status === 503) traffic.refused.push(res);
      else traffic.unexpected.push(res);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  return traffic;
}

/** A refused write: 503 AUDIT_WRITE_FAILED, Retry-After, and nothing that looks like an id. */
function expectRefusal(res: TestResponse): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ error: expect.any(String), error_type: 'AUDIT_WRITE_FAILED' });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.text).not.toMatch(UUID);
}

/** The value of a metric series (the first sample of that name), or null when absent. */
async function metric(t: TestServer, name: string): Promise<number | null> {
  const text = (await t.get('/metrics')).text;
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

/** Every acknowledged prediction is in the audit trail, with the label the client got. */
async function expectAllStored(t: TestServer, acked: Map<string, string>): Promise<void> {
  for (const [id, label] of acked) {
    const res = await t.get(`/v1/predictions/${id}`, AUTH);
    expect(res.status, `acknowledged prediction ${id}`).toBe(200);
    expect(res.body.label).toBe(label);
  }
}

/**
 * After a restart on `path`: every acknowledged prediction is there, and the stored drift window
 * has every one of them (those whose observation could not be written at first went with a later
 * commit) and nothing that was refused.
 */
async function expectAllStoredAfterRestart(path: string, acked: Map<string, string>): Promise<void> {
  const restarted = await startTestServer({ statePath: path, apiKey: KEY, log: { write: () => true } });
  try {
    await expectAllStored(restarted, acked);
    expect((await restarted.get('/v1/monitor')).body).toMatchObject({ observed: acked.size, window: acked.size });
  } finally {
    await restarted.server.close();
  }
}

const sqlite = availableSqliteDrivers().length > 0;
const scratch = useScratchWithReference('glassbox-full-', () => Array.from({ length: 84 }, (_, i) => text(i + 5000)));

const pageCount = (store: StateStore) => Number(store.database.prepare('PRAGMA page_count').get()?.['page_count']);

describe.skipIf(!sqlite)('a state database that fills up (SQLite max_page_count: a genuine SQLITE_FULL)', () => {
  it('acknowledges only what it stored, turns unready, counts and logs the failure once, and recovers when space returns', async () => {
    const path = join(scratch.dir, 'capped.db');
    const store = openStateStore({ path });
    const log = captureLog();
    const errors: unknown[] = [];
    const t = await startTestServer({ stateStore: store, referencePath: scratch.referencePath, apiKey: KEY, storeText: true, log: log.sink, onError: (e) => errors.push(e) });
    let acked: Map<string, string>;
    try {
      expect((await t.get('/ready')).status).toBe(200);
      expect(await metric(t, 'glassbox_state_writes_failing')).toBe(0);
      // Room for a few dozen requests, then SQLITE_FULL.
      store.database.exec(`PRAGMA max_page_count = ${pageCount(store) + 24}`);

      const full = await drive(t, 0, 800, (x) => x.refused.length >= 20);
      expect(full.unexpected).toEqual([]);
      expect(full.acked.size, 'predictions acknowledged before the database filled').toBeGreaterThan(10);
      expect(full.refused.length).toBeGreaterThanOrEqual(20);
      for (const res of full.refused) expectRefusal(res);

      // Unready while full: each /ready tries a probe write, which fails too.
      for (let i = 0; i < 3; i++) expectRefusal(await t.get('/ready'));
      expect((await t.get('/v2/health/ready')).status).toBe(503);
      expect(await metric(t, 'glassbox_state_writes_failing')).toBe(1);
      expect(await metric(t, 'glassbox_state_write_failures_total')).toBeGreaterThanOrEqual(full.refused.length);
      // The drift window counts acknowledged predictions only.
      expect((await t.get('/v1/monitor')).body.observed).toBe(full.acked.size);
      await expectAllStored(t, full.acked);

      // Space returns: /ready recovers by itself (no prediction needed), and writes resume.
      store.database.exec('PRAGMA max_page_count = 1073741823');
      expect((await t.get('/ready')).status).toBe(200);
      expect(await metric(t, 'glassbox_state_writes_failing')).toBe(0);
      const after = await drive(t, 10_000, 12, () => false);
      expect(after.refused).toEqual([]);
      expect(after.unexpected).toEqual([]);
      acked = new Map([...full.acked, ...after.acked]);
      expect((await t.get('/v1/monitor')).body.observed).toBe(acked.size);

      // Once per condition: one line when it started, one when it ended; nothing per request.
      expect(log.count('state writes failing: ')).toBe(1);
      expect(log.count('state writes recovered after ')).toBe(1);
      const recovered = log.lines.find((l) => l.msg.startsWith('state writes recovered after '));
      expect(recovered?.msg).toMatch(/after \d+ failures/);
      expect(errors).toEqual([]);
    } finally {
      await t.server.close();
    }

    await expectAllStoredAfterRestart(path, acked);
  });
});

/** `store` with every write throwing while `broken.on` (reads keep working). */
function breakable(store: StateStore): { store: StateStore; broken: { on: boolean } } {
  const broken = { on: false };
  const fail = () => {
    throw new GlassboxError('STORE_FAILED', 'cannot write in x.db: disk I/O error');
  };
  const writes = new Set<PropertyKey>(['appendObservations', 'setTruth', 'appendAlarm', 'appendSeriesPoint', 'saveCalibration', 'addCalibration', 'setActiveCalibration', 'transaction', 'probe']);
  const auditWrites = new Set<PropertyKey>(['add', 'addAll', 'addFeedback']);
  const audit = new Proxy(store.auditLog(), {
    get: (target, key) => (broken.on && auditWrites.has(key) ? fail : Reflect.get(target, key, target)),
  }) as AuditLog;
  const wrapped = new Proxy(store, {
    get: (target, key) => {
      if (key === 'auditLog') return () => audit;
      if (broken.on && writes.has(key)) return fail;
      return Reflect.get(target, key, target);
    },
  }) as StateStore;
  return { store: wrapped, broken };
}

const ROWS = LABELS.flatMap((label, i) => Array.from({ length: 3 }, (_, k) => ({ text: text(100 * i + k), label })));

describe.skipIf(!sqlite)('a state store whose writes throw', () => {
  it('refuses predictions, feedback, calibration fits and selections with 503 and changes nothing, then recovers', async () => {
    const path = join(scratch.dir, 'breakable.db');
    const { store, broken } = breakable(openStateStore({ path }));
    const log = captureLog();
    const errors: unknown[] = [];
    const t = await startTestServer({ stateStore: store, referencePath: scratch.referencePath, apiKey: KEY, log: log.sink, onError: (e) => errors.push(e) });
    try {
      const ok = await t.post('/v1/predict', { inputs: [text(1), text(2)] });
      expect(ok.status).toBe(200);
      const [first] = ok.body.predictions;
      const fitted = await t.post('/v1/calibration/fit', { rows: ROWS }, AUTH);
      expect(fitted.status).toBe(200);
      const versionsBefore = (await t.get('/v1/calibration/versions')).body;
      const observedBefore = (await t.get('/v1/monitor')).body.observed;

      broken.on = true;
      const predict = await t.post('/v1/predict', { inputs: [text(3)] });
      expectRefusal(predict);
      const hf = await t.post('/models/emotion-mini', { inputs: text(4) });
      expect(hf.status, 'routes that store nothing a client waits on keep answering').toBe(200);
      expectRefusal(await t.post('/v1/feedback', { id: first.id, label: 'joy', feedback_token: first.feedback_token }));
      expectRefusal(await t.post('/v1/calibration/fit', { rows: ROWS, activate: true }, AUTH));
      expectRefusal(await t.post('/v1/calibration/select', { version: fitted.body.id }, AUTH));
      expectRefusal(await t.get('/ready'));

      // Nothing refused took effect.
      expect((await t.get('/v1/calibration/versions')).body).toEqual(versionsBefore);
      expect((await t.get('/v1/calibration')).status).toBe(404); // still none active
      expect((await t.get(`/v1/predictions/${first.id}`, AUTH)).body.feedback).toBeNull();
      const monitor = (await t.get('/v1/monitor')).body;
      expect(monitor.observed, 'only the HF prediction was observed').toBe(observedBefore + 1);
      expect(monitor.labelled).toBe(0);
      expect(await metric(t, 'glassbox_state_write_failures_total')).toBeGreaterThanOrEqual(5);
      expect(await metric(t, 'glassbox_state_writes_failing')).toBe(1);

      broken.on = false;
      expect((await t.get('/ready')).status).toBe(200);
      expect((await t.post('/v1/feedback', { id: first.id, label: 'joy', feedback_token: first.feedback_token })).status).toBe(200);
      expect((await t.post('/v1/calibration/select', { version: fitted.body.id }, AUTH)).status).toBe(200);
      expect((await t.post('/v1/predict', { inputs: [text(5)] })).status).toBe(200);
      expect(log.count('state writes failing: ')).toBe(1);
      expect(log.count('state writes recovered after ')).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await t.server.close();
    }
  });
});

/** Mounts a 2 MiB tmpfs at `at`; null when this machine does not allow it (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(at: string): string | null {
  const res = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', at], { encoding: 'utf8' });
  if (res.error) return res.error.message;
  return res.status === 0 ? null : (res.stderr || `mount exited ${res.status}`).trim().split('\n')[0];
}

describe.skipIf(!sqlite)('a state database on a disk that fills up (a 2 MiB tmpfs)', () => {
  let mnt: string;
  let cannotMount: string | null = 'not tried';

  beforeAll(async () => {
    mnt = join(scratch.dir, 'tmpfs');
    await mkdir(mnt);
    cannotMount = process.platform === 'linux' ? mountTmpfs(mnt) : `tmpfs needs Linux (this is ${process.platform})`;
  });

  afterAll(() => {
    if (cannotMount === null) spawnSync('umount', [mnt]);
  });

  it('acknowledges only what reached the disk, and recovers once a ballast file is deleted', async (context) => {
    if (cannotMount !== null) {
      context.skip(`cannot mount a tmpfs here (${cannotMount}); the max_page_count test covers SQLITE_FULL without one`);
      return;
    }
    const path = join(mnt, 'state.db');
    const ballast = join(mnt, 'ballast');
    const log = captureLog();
    const errors: unknown[] = [];
    const t = await startTestServer({ statePath: path, referencePath: scratch.referencePath, apiKey: KEY, storeText: true, log: log.sink, onError: (e) => errors.push(e) });
    let acked: Map<string, string>;
    try {
      // Fill the disk but for a few hundred KiB: room for some predictions, not for all.
      const { bavail, bsize } = statfsSync(mnt);
      const free = bavail * bsize;
      await writeFile(ballast, Buffer.alloc(Math.max(0, free - 512 * 1024)));

      const full = await drive(t, 20_000, 2000, (x) => x.refused.length >= 20);
      expect(full.unexpected).toEqual([]);
      expect(full.acked.size).toBeGreaterThan(0);
      expect(full.refused.length).toBeGreaterThanOrEqual(20);
      for (const res of full.refused) expectRefusal(res);
      expectRefusal(await t.get('/ready'));
      expect(await metric(t, 'glassbox_state_writes_failing')).toBe(1);
      expect(await metric(t, 'glassbox_state_write_failures_total')).toBeGreaterThanOrEqual(full.refused.length);
      expect((await t.get('/v1/monitor')).body.observed).toBe(full.acked.size);
      await expectAllStored(t, full.acked);

      await rm(ballast);
      expect((await t.get('/ready')).status).toBe(200);
      const after = await drive(t, 30_000, 12, () => false);
      expect(after.refused).toEqual([]);
      expect(after.unexpected).toEqual([]);
      acked = new Map([...full.acked, ...after.acked]);
      // One line per condition, never one per request. A real file system may open and close
      // more than one condition while it fills (a checkpoint frees WAL space), each logged once.
      const conditions = log.lines.filter((l) => l.event.startsWith('glassbox.state.'));
      expect(conditions.length).toBeGreaterThanOrEqual(2);
      expect(conditions.length).toBeLessThan(full.refused.length);
      conditions.forEach((l, i) => expect(l.msg).toMatch(i % 2 === 0 ? /^state writes failing: / : /^state writes recovered after \d+ failures$/));
      expect(conditions.length % 2, 'the last condition ended').toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await t.server.close();
    }

    await expectAllStoredAfterRestart(path, acked);
  });
});

if (!sqlite) it.skip('no SQLite driver loads on this Node.js: skipping the disk-full tests', () => undefined);
