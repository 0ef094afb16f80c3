import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '@glassbox/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from './audit-log.js';
import { buildReferenceProfile } from './reference-profile.js';
import { availableSqliteDrivers, openSqlite } from './sqlite.js';
import type { AlarmRecord, SeriesPoint, StateStore, StateStoreOptions, StoredObservation } from './state-store.js';
import { openStateStore, STATE_SCHEMA_VERSION } from './state-store.js';
import { auditEntry } from './test-audit.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: StateStore[] = [];
afterEach(() => {
  while (open.length > 0) open.pop()?.close();
});

let files = 0;
const freshPath = () => join(dir, `state-${files++}.db`);

const MODEL = 'sha256:model-a';

const observation = (index: number, overrides: Partial<StoredObservation> = {}): StoredObservation => ({
  index,
  time: 1_000 + index,
  modelId: MODEL,
  calibrationId: 'cal-1',
  predictionId: `p${index}`,
  label: index % 7,
  confidence: 0.5,
  margin: 0.2,
  entropy: 1.5,
  truth: null,
  ...overrides,
});

/** A drift series point, told apart by `observed`. */
const point = (observed: number): SeriesPoint => {
  const zero = { confidence: 0, margin: 0, entropy: 0, labels: 0 };
  return { time: new Date(observed * 1000).toISOString(), observed, window: observed, psi: zero, js: zero, label_shares: { joy: 1 } };
};

const alarm = (index: number, model = MODEL): AlarmRecord => ({
  time: new Date(index * 1000).toISOString(),
  index,
  signal: 'labels',
  statistic: 'psi',
  value: 0.5,
  threshold: 0.1,
  reason: 'psi over threshold',
  model_id: model,
  calibration_id: null,
});

const entry = auditEntry;

const drivers = availableSqliteDrivers();

describe('SQLite drivers', () => {
  it('at least one loads on this Node.js', () => {
    expect(drivers.length, `no SQLite driver on Node.js ${process.version}`).toBeGreaterThan(0);
  });
});

describe.each(drivers)('openStateStore (%s)', (driver) => {
  const openStore = (options: Partial<StateStoreOptions> = {}): StateStore => {
    const store = openStateStore({ path: freshPath(), driver, ...options });
    open.push(store);
    return store;
  };

  it('keeps everything it committed across close and reopen, in WAL mode', () => {
    const path = freshPath();
    const store = openStateStore({ path, driver });
    const reference = buildReferenceProfile(
      Array.from({ length: 300 }, ((rng) => () => simulateProbabilities(rng))(mulberry32(3))),
      LABELS,
      MODEL,
    );
    store.saveReference(reference);
    store.appendObservations([observation(0), observation(1), observation(2)]);
    expect(store.setTruth(MODEL, 'p1', 4)).toBe(true);
    expect(store.setTruth(MODEL, 'nope', 4)).toBe(false);
    store.appendAlarm(alarm(2));
    store.appendSeriesPoint(MODEL, 5, point(3));
    store.auditLog().addAll([entry('a'), entry('b')]);
    store.auditLog().addFeedback('a', { label: 'anger', correct: false, time: 't' });
    store.saveCalibration(MODEL, 'v1', { method: 'temperature', t: 1.2 });
    store.saveCalibration(MODEL, 'v2', { method: 'vector' });
    store.setActiveCalibration(MODEL, 'v2');
    store.close();
    store.close(); // idempotent

    const db = openSqlite(path, driver);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: STATE_SCHEMA_VERSION });
    db.close();

    const again = openStateStore({ path, driver });
    open.push(again);
    expect(again.integrityCheck()).toEqual(['ok']);
    expect(again.observedCount(MODEL)).toBe(3);
    expect(again.observedCount('sha256:other')).toBe(0);
    expect(again.recentObservations(MODEL, 10)).toEqual([observation(0), observation(1, { truth: 4 }), observation(2)]);
    expect(again.alarms()).toEqual([alarm(2)]);
    expect(again.seriesPoints(MODEL)).toEqual([point(3)]);
    expect(again.loadReference(MODEL, LABELS)).toEqual(reference);
    expect(again.loadReference('sha256:other')).toBeNull();
    const audit = again.auditLog();
    expect(audit.size).toBe(2);
    expect(audit.get('a')?.feedback).toEqual({ label: 'anger', correct: false, time: 't' });
    expect(audit.list(10).entries.map((e) => e.id)).toEqual(['b', 'a']);
    expect(again.calibrations(MODEL)).toEqual([
      { version: 'v1', file: { method: 'temperature', t: 1.2 } },
      { version: 'v2', file: { method: 'vector' } },
    ]);
    expect(again.activeCalibration(MODEL)).toBe('v2');
    expect(again.activeCalibration('sha256:other')).toBeNull();
    expect(again.summary()).toEqual({
      path,
      driver,
      schemaVersion: STATE_SCHEMA_VERSION,
      integrity: ['ok'],
      auditRows: 2,
      auditSpan: { oldest: '2026-01-01T00:00:00.000Z', newest: '2026-01-01T00:00:00.000Z' },
      alarms: 1,
      models: [
        {
          modelId: MODEL,
          observed: 3,
          observations: 3,
          withFeedback: 1,
          reference: true,
          calibrations: ['v1', 'v2'],
          activeCalibration: 'v2',
          seriesPoints: 1,
        },
      ],
    });
  });

  it('returns the newest observations oldest first, per model and since a time', () => {
    const store = openStore();
    store.appendObservations([...Array.from({ length: 10 }, (_, i) => observation(i)), observation(0, { modelId: 'sha256:b' })]);
    expect(store.recentObservations(MODEL, 3).map((o) => o.index)).toEqual([7, 8, 9]);
    expect(store.recentObservations(MODEL, 100, 1_005).map((o) => o.index)).toEqual([6, 7, 8, 9]);
    expect(store.recentObservations('sha256:b', 100)).toHaveLength(1);
  });

  it('applies count retention to observations, alarms, series and audit rows as they arrive', () => {
    const store = openStore({ retention: { observations: 5, alarms: 2, seriesPoints: 3, auditRows: 4 } });
    store.appendObservations(Array.from({ length: 12 }, (_, i) => observation(i)));
    store.appendObservations([observation(12)]);
    expect(store.recentObservations(MODEL, 100).map((o) => o.index)).toEqual([8, 9, 10, 11, 12]);
    expect(store.observedCount(MODEL)).toBe(13);
    for (let i = 0; i < 5; i++) store.appendAlarm(alarm(i));
    expect(store.alarms().map((a) => a.index)).toEqual([4, 3]);
    for (let i = 0; i < 5; i++) store.appendSeriesPoint(MODEL, i, point(i));
    store.appendSeriesPoint('sha256:b', 9, point(99));
    expect(store.seriesPoints(MODEL)).toEqual([point(2), point(3), point(4)]);
    expect(store.seriesPoints('sha256:b')).toEqual([point(99)]);
    store.auditLog().addAll(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => entry(id)));
    expect(store.auditLog().list(10).entries.map((e) => e.id)).toEqual(['f', 'e', 'd', 'c']);
  });

  it('drops audit rows past the age limit', () => {
    let now = Date.parse('2026-01-10T00:00:00Z');
    const store = openStore({ retention: { auditMaxAgeMs: 2 * 86_400_000 }, now: () => now });
    store.auditLog().addAll([entry('old', '2026-01-01T00:00:00Z'), entry('new', '2026-01-09T12:00:00Z')]);
    expect(store.auditLog().get('old')).toBeUndefined();
    expect(store.auditLog().get('new')?.id).toBe('new');
    now += 3 * 86_400_000;
    store.prune();
    expect(store.auditLog().size).toBe(0);
  });

  it('writes a batch all or nothing', () => {
    const store = openStore();
    const log = store.auditLog();
    // A circular value cannot be serialised: the batch fails at its second entry.
    const broken = entry('y') as AuditEntry & { self?: unknown };
    broken.self = broken;
    expect(() => log.addAll([entry('x'), broken])).toThrow();
    expect(log.size).toBe(0);
    expect(() =>
      store.transaction(() => {
        store.appendObservations([observation(0)]);
        throw new Error('caller failed');
      }),
    ).toThrow(/caller failed/);
    expect(store.observedCount(MODEL)).toBe(0);
  });

  it('migrates a version 1 database: its feedback becomes the first event of each history', () => {
    const path = freshPath();
    // What glassbox with schema version 1 wrote: feedback inside the audit entry.
    const v1 = openSqlite(path, driver);
    v1.exec(`
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, time REAL NOT NULL, model_id TEXT NOT NULL, calibration_id TEXT, entry TEXT NOT NULL);
PRAGMA user_version = 1;`);
    const insert = v1.prepare('INSERT INTO audit (id, time, model_id, calibration_id, entry) VALUES (?, ?, ?, ?, ?)');
    insert.run('a', 1, MODEL, null, JSON.stringify({ ...entry('a'), feedback: { label: 'anger', correct: false, time: 't1' } }));
    insert.run('b', 2, MODEL, null, JSON.stringify(entry('b')));
    v1.close();

    const store = openStateStore({ path, driver });
    open.push(store);
    expect(store.summary().schemaVersion).toBe(STATE_SCHEMA_VERSION);
    expect(store.integrityCheck()).toEqual(['ok']);
    const audit = store.auditLog();
    expect(audit.get('a')?.feedback).toEqual({ label: 'anger', correct: false, time: 't1' });
    expect(audit.get('b')?.feedback).toBeNull();
    expect(audit.addFeedback('a', { label: 'joy', correct: true, time: 't2' })).toBe(true);
    expect(audit.feedbackHistory('a')).toEqual([
      { label: 'anger', correct: false, time: 't1' },
      { label: 'joy', correct: true, time: 't2' },
    ]);
    expect(audit.list(10, undefined, { correct: true }).entries.map((e) => e.id)).toEqual(['a']);
    store.close();
    // Opening it again migrates nothing twice.
    const again = openStateStore({ path, driver });
    open.push(again);
    expect(again.auditLog().feedbackHistory('a')).toHaveLength(2);
  });

  it('keeps a secret per name across restarts', () => {
    const path = freshPath();
    const first = openStateStore({ path, driver });
    const secret = first.secret('feedback');
    expect(secret).toHaveLength(32);
    expect(first.secret('feedback').equals(secret)).toBe(true);
    expect(first.secret('other').equals(secret)).toBe(false);
    first.close();
    const second = openStateStore({ path, driver });
    open.push(second);
    expect(second.secret('feedback').equals(secret)).toBe(true);
  });

  it('drops the feedback history of pruned audit rows', () => {
    const store = openStore({ retention: { auditRows: 1 } });
    const audit = store.auditLog();
    audit.add(entry('a'));
    audit.addFeedback('a', { label: 'anger', correct: false, time: 't' });
    audit.add(entry('b'));
    expect(audit.get('a')).toBeUndefined();
    expect(audit.feedbackHistory('a')).toEqual([]);
    expect(audit.addFeedback('a', { label: 'anger', correct: false, time: 't' })).toBe(false);
  });

  it('lets one process own a database file at a time', () => {
    const path = freshPath();
    const first = openStateStore({ path, driver });
    open.push(first);
    expect(() => openStateStore({ path, driver })).toThrow(expect.objectContaining({ code: 'STORE_FAILED', message: expect.stringMatching(/in use by another process/) }));
    first.close();
    const second = openStateStore({ path, driver });
    open.push(second);
    expect(second.integrityCheck()).toEqual(['ok']);
  });

  it('refuses files that are not its databases, with coded errors', () => {
    const garbage = freshPath();
    writeFileSync(garbage, 'this is not a database, just text that is long enough to fill a header '.repeat(20));
    expect(() => openStateStore({ path: garbage, driver })).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));
    expect(readFileSync(garbage, 'utf8')).toMatch(/^this is not a database/);

    const newer = freshPath();
    const db = openSqlite(newer, driver);
    db.exec(`PRAGMA user_version = ${STATE_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStateStore({ path: newer, driver })).toThrow(/written by a newer glassbox/);

    expect(() => openStateStore({ path: join(dir, 'missing-dir', 'x.db'), driver })).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));
  });

  it('checks its options', () => {
    expect(() => openStateStore({ path: '' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => openStore({ durability: 'sometimes' as never })).toThrow(/durability/);
    expect(() => openStore({ retention: { observations: 0 } })).toThrow(/retention.observations/);
    expect(() => openStore({ retention: { auditRows: -1 } })).toThrow(/auditRows/);
    expect(() => openStore({ retention: { auditMaxAgeMs: 0 } })).toThrow(/auditMaxAgeMs/);
    expect(() => openStateStore({ path: ':memory:', driver: 'sqlite4' as never })).toThrow(/SQLite driver must be/);
    const closed = openStore();
    closed.close();
    expect(() => closed.observedCount(MODEL)).toThrow(expect.objectContaining({ code: 'STORE_FAILED', message: expect.stringMatching(/closed/) }));
  });
});
