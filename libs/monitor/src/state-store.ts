import { randomBytes } from 'node:crypto';
import { GlassboxError } from '@glassbox/core';
import type { AuditEntry, AuditFeedback, AuditFilter, AuditLog, AuditPage } from './audit-log.js';
import type { DriftSignal } from './drift-monitor.js';
import { parseCursor } from './audit-log.js';
import type { ReferenceProfile } from './reference-profile.js';
import { parseReferenceProfile } from './reference-profile.js';
import type { SqliteDatabase, SqliteDriverName, SqliteStatement, SqliteValue } from './sqlite.js';
import { openSqlite, storeError } from './sqlite.js';
import { probeWrite } from './state-probe.js';

/**
 * The monitor's state in one embedded SQLite database: the reference profile, the observations
 * behind the drift window (raw signals, so a new reference re-buckets them), the alarm history,
 * the drift time series, the audit log of served predictions, and calibration versions.
 *
 * The database runs in WAL mode with `locking_mode=EXCLUSIVE` (one process owns it; a second
 * server on the same file fails at open instead of interleaving windows). Every write is one
 * transaction; with the default `durability: 'normal'` (synchronous=NORMAL) a committed write
 * survives the process being killed, and with 'full' (synchronous=FULL) also a power cut, at one
 * fsync per commit. Retention limits are applied as rows arrive.
 */

export const STATE_SCHEMA_VERSION = 2;

export interface StateRetention {
  /** Newest audit rows kept (default 10000; 0 keeps none). */
  auditRows?: number;
  /** Audit rows older than this many milliseconds are dropped (default: no age limit). */
  auditMaxAgeMs?: number;
  /** Newest observations kept per model: at least the drift window (default 100000). */
  observations?: number;
  /** Newest alarms kept (default 1000). */
  alarms?: number;
  /** Newest drift series points kept per model (default 500). */
  seriesPoints?: number;
}

export interface StateStoreOptions {
  /** Database file (created when missing), or ':memory:'. */
  path: string;
  /** Default 'auto': better-sqlite3 when it loads, else node:sqlite. */
  driver?: SqliteDriverName | 'auto';
  /** 'normal' (default) survives a killed process; 'full' also survives power loss. */
  durability?: 'normal' | 'full';
  retention?: StateRetention;
  /** Clock in milliseconds, for age-based retention. Default `Date.now`. */
  now?: () => number;
}

/** One observed prediction, as the drift window needs it back after a restart. */
export interface StoredObservation {
  /** 0-based index among the model's observed predictions. */
  index: number;
  /** Milliseconds since the epoch. */
  time: number;
  modelId: string;
  calibrationId: string | null;
  /** The id clients saw, for feedback; null when it had none. */
  predictionId: string | null;
  /** Index of the predicted label. */
  label: number;
  confidence: number;
  margin: number;
  entropy: number;
  /** Index of the true label, once feedback arrived. */
  truth: number | null;
}

/** A drift alarm as it is logged, stored and served. */
export interface AlarmRecord {
  /** ISO 8601 time it fired. */
  time: string;
  /** 0-based index of the observed prediction that tipped it. */
  index: number;
  signal: string;
  statistic: string;
  value: number;
  threshold: number;
  reason: string;
  model_id: string;
  calibration_id: string | null;
}

/** One point of the drift time series (the API's GET /v1/monitor/series). */
export interface SeriesPoint {
  /** ISO 8601 time it was taken. */
  time: string;
  /** Predictions observed since start. */
  observed: number;
  /** Predictions in the window. */
  window: number;
  psi: Record<DriftSignal, number>;
  js: Record<DriftSignal, number>;
  /** Share of window predictions per predicted label (model label order). */
  label_shares: Record<string, number>;
}

/** A calibration version as stored: the file (as JSON text) and its version id. */
export interface StoredCalibration {
  version: string;
  /** The calibration file, parsed JSON. */
  file: unknown;
}

/** What a state database holds, per model and in all (`glassbox monitor state`). */
export interface StateSummary {
  path: string;
  driver: SqliteDriverName;
  schemaVersion: number;
  /** SQLite's integrity_check: ['ok'] for a sound database. */
  integrity: string[];
  auditRows: number;
  /** Time of the oldest and newest audit rows (ISO 8601), null when there are none. */
  auditSpan: { oldest: string; newest: string } | null;
  alarms: number;
  models: Array<{
    modelId: string;
    /** Predictions ever observed (the next index). */
    observed: number;
    /** Observations kept (the window's, at most). */
    observations: number;
    withFeedback: number;
    reference: boolean;
    calibrations: string[];
    activeCalibration: string | null;
    seriesPoints: number;
  }>;
}

export interface StateStore {
  readonly path: string;
  readonly driver: SqliteDriverName;
  readonly retention: Readonly<Required<Omit<StateRetention, 'auditMaxAgeMs'>> & { auditMaxAgeMs: number | null }>;
  /** Appends observations in one transaction (dropping those past the retention). */
  appendObservations(rows: readonly StoredObservation[]): void;
  /** The newest `limit` observations of a model (and only those since `sinceMs`), oldest first. */
  recentObservations(modelId: string, limit: number, sinceMs?: number): StoredObservation[];
  /** Observations of a model ever stored: the index the next one gets. */
  observedCount(modelId: string): number;
  /** Records the true label of a stored observation; false when it is not (or no longer) stored. */
  setTruth(modelId: string, predictionId: string, truth: number): boolean;
  appendAlarm(alarm: AlarmRecord): void;
  /** Alarms, newest first (`limit` at most; all models unless `modelId`). */
  alarms(limit?: number, modelId?: string): AlarmRecord[];
  appendSeriesPoint(modelId: string, time: number, point: SeriesPoint): void;
  /** A model's drift series points, oldest first. */
  seriesPoints(modelId: string): SeriesPoint[];
  saveReference(profile: ReferenceProfile): void;
  /** The stored reference profile of a model, or null. */
  loadReference(modelId: string, labels?: readonly string[]): ReferenceProfile | null;
  /** The audit log kept in this database, `retention.auditRows` entries at most. */
  auditLog(): AuditLog;
  /** Stores (or replaces) a calibration version of a model. */
  saveCalibration(modelId: string, version: string, file: unknown): void;
  /** A model's calibration versions, in the order they were first stored. */
  calibrations(modelId: string): StoredCalibration[];
  setActiveCalibration(modelId: string, version: string | null): void;
  activeCalibration(modelId: string): string | null;
  /**
   * A random 32-byte secret kept in the database under `name`: created on first use, the same
   * after a restart (the API signs feedback tokens with it).
   */
  secret(name: string): Buffer;
  /** Runs `fn` in one transaction (joins an outer one). */
  transaction<T>(fn: () => T): T;
  /**
   * A small write that needs free space (see state-probe.ts), recording the time as the
   * `heartbeat` meta row: throws STORE_FAILED while the disk (or max_page_count) is full.
   */
  probe(): void;
  /**
   * The SQLite connection itself, for diagnostics and tests (e.g. `PRAGMA max_page_count`):
   * statements run on it bypass the store's checks and retention.
   */
  readonly database: SqliteDatabase;
  /** Applies the age limit now (count limits apply on every write). */
  prune(): void;
  /** SQLite's `PRAGMA integrity_check`: ['ok'] for a sound database. */
  integrityCheck(): string[];
  /** Counts per model and table, and the integrity check. */
  summary(): StateSummary;
  /** Closes the database (checkpointing the WAL). Idempotent. */
  close(): void;
}

const DEFAULT_RETENTION = { auditRows: 10_000, observations: 100_000, alarms: 1000, seriesPoints: 500 };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS observations (
  model_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  time REAL NOT NULL,
  calibration_id TEXT,
  prediction_id TEXT,
  label INTEGER NOT NULL,
  confidence REAL NOT NULL,
  margin REAL NOT NULL,
  entropy REAL NOT NULL,
  truth INTEGER,
  PRIMARY KEY (model_id, idx)
);
CREATE INDEX IF NOT EXISTS observations_prediction ON observations (prediction_id);
CREATE TABLE IF NOT EXISTS alarms (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS series (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL,
  time REAL NOT NULL,
  point TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS series_model ON series (model_id, seq);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  time REAL NOT NULL,
  model_id TEXT NOT NULL,
  calibration_id TEXT,
  entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
CREATE TABLE IF NOT EXISTS feedback (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  prediction_id TEXT NOT NULL,
  label TEXT NOT NULL,
  correct INTEGER NOT NULL,
  time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_prediction ON feedback (prediction_id, seq);
CREATE TRIGGER IF NOT EXISTS audit_drops_feedback AFTER DELETE ON audit BEGIN
  DELETE FROM feedback WHERE prediction_id = old.id;
END;
CREATE TABLE IF NOT EXISTS calibrations (
  model_id TEXT NOT NULL,
  version TEXT NOT NULL,
  seq INTEGER NOT NULL,
  file TEXT NOT NULL,
  PRIMARY KEY (model_id, version)
);
`;

/**
 * Data migrations from an older schema version, applied in order inside the opening
 * transaction after SCHEMA (which creates any missing table). `to` is the version each reaches.
 */
const MIGRATIONS: ReadonlyArray<{ to: number; run(db: SqliteDatabase): void }> = [
  {
    // v2: feedback is append-only in its own table; v1 kept only the latest, inside the entry.
    to: 2,
    run(db) {
      db.exec(`
INSERT INTO feedback (prediction_id, label, correct, time)
  SELECT id, json_extract(entry, '$.feedback.label'), json_extract(entry, '$.feedback.correct'), json_extract(entry, '$.feedback.time')
  FROM audit WHERE json_type(entry, '$.feedback') = 'object' ORDER BY seq;
UPDATE audit SET entry = json_set(entry, '$.feedback', json('null')) WHERE json_type(entry, '$.feedback') = 'object';
`);
    },
  },
];

function invalid(message: string): never {
  throw new GlassboxError('INVALID_OPTION', message);
}

function resolveRetention(retention: StateRetention = {}): StateStore['retention'] {
  const count = (name: keyof typeof DEFAULT_RETENTION, min: number): number => {
    const v = retention[name] ?? DEFAULT_RETENTION[name];
    if (!Number.isInteger(v) || v < min) invalid(`retention.${name} must be an integer >= ${min}, got ${String(v)}`);
    return v;
  };
  const age = retention.auditMaxAgeMs ?? null;
  if (age !== null && !(typeof age === 'number' && age > 0 && Number.isFinite(age))) {
    invalid(`retention.auditMaxAgeMs must be a positive number of milliseconds, got ${String(age)}`);
  }
  return {
    auditRows: count('auditRows', 0),
    auditMaxAgeMs: age,
    observations: count('observations', 1),
    alarms: count('alarms', 1),
    seriesPoints: count('seriesPoints', 1),
  };
}

const num = (v: unknown): number => Number(v);
const nullableNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const nullableStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toObservation(row: Record<string, unknown>): StoredObservation {
  return {
    index: num(row['idx']),
    time: num(row['time']),
    modelId: String(row['model_id']),
    calibrationId: nullableStr(row['calibration_id']),
    predictionId: nullableStr(row['prediction_id']),
    label: num(row['label']),
    confidence: num(row['confidence']),
    margin: num(row['margin']),
    entropy: num(row['entropy']),
    truth: nullableNum(row['truth']),
  };
}

/** The latest feedback event of an audit row, as columns fb_label, fb_correct, fb_time (NULL without any). */
const LATEST_FEEDBACK = ['label', 'correct', 'time']
  .map((c) => `(SELECT f.${c} FROM feedback f WHERE f.prediction_id = audit.id ORDER BY f.seq DESC LIMIT 1) AS fb_${c}`)
  .join(', ');

const toFeedback = (row: Record<string, unknown>, prefix = ''): AuditFeedback => ({
  label: String(row[`${prefix}label`]),
  correct: Boolean(num(row[`${prefix}correct`])),
  time: String(row[`${prefix}time`]),
});

/** An audit row read with LATEST_FEEDBACK: the stored entry with its latest feedback. */
function toAuditEntry(row: Record<string, unknown>): AuditEntry {
  const entry = JSON.parse(String(row['entry'])) as AuditEntry;
  entry.feedback = row['fb_label'] === null || row['fb_label'] === undefined ? null : toFeedback(row, 'fb_');
  return entry;
}

/** SQL conditions (each starting with AND) and their parameters for an audit filter. */
function auditWhere(filter: AuditFilter): { where: string; params: SqliteValue[] } {
  const clauses: string[] = [];
  const params: SqliteValue[] = [];
  if (filter.label !== undefined) {
    clauses.push("json_extract(entry, '$.label') = ?");
    params.push(filter.label);
  }
  if (filter.abstained !== undefined) {
    clauses.push("json_extract(entry, '$.abstained') = ?");
    params.push(filter.abstained ? 1 : 0);
  }
  if (filter.feedback !== undefined) clauses.push(`${filter.feedback ? '' : 'NOT '}EXISTS (SELECT 1 FROM feedback f WHERE f.prediction_id = audit.id)`);
  if (filter.correct !== undefined) {
    // On the latest feedback only: a corrected one counts as its correction says.
    clauses.push('(SELECT f.correct FROM feedback f WHERE f.prediction_id = audit.id ORDER BY f.seq DESC LIMIT 1) = ?');
    params.push(filter.correct ? 1 : 0);
  }
  if (filter.sinceMs !== undefined) {
    clauses.push('time >= ?');
    params.push(filter.sinceMs);
  }
  if (filter.untilMs !== undefined) {
    clauses.push('time < ?');
    params.push(filter.untilMs);
  }
  return { where: clauses.map((c) => ` AND ${c}`).join(''), params };
}

/** Sets the pragmas and creates (or checks) the schema. */
function prepareDatabase(db: SqliteDatabase, path: string, durability: 'normal' | 'full'): void {
  // Only one process may hold the file: fail fast rather than queue behind it.
  db.exec('PRAGMA busy_timeout = 250');
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  let mode: unknown;
  try {
    mode = db.prepare('PRAGMA journal_mode = WAL').get()?.['journal_mode'];
  } catch (cause) {
    const message = (cause as Error)?.message ?? '';
    if (/locked|busy/i.test(message)) {
      throw storeError(`state database ${path} is in use by another process (one glassbox server per database file)`, cause);
    }
    throw storeError(`cannot open the state database ${path}`, cause);
  }
  if (path !== ':memory:' && mode !== 'wal') throw new GlassboxError('STORE_FAILED', `state database ${path} refused WAL mode (journal_mode is ${String(mode)})`);
  db.exec(`PRAGMA synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  const version = num(db.prepare('PRAGMA user_version').get()?.['user_version'] ?? 0);
  if (version > STATE_SCHEMA_VERSION) {
    throw new GlassboxError(
      'STORE_FAILED',
      `state database ${path} has schema version ${version}, written by a newer glassbox (this one reads up to ${STATE_SCHEMA_VERSION})`,
    );
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    // A new database (version 0) has nothing to migrate.
    if (version > 0) for (const m of MIGRATIONS) if (version < m.to) m.run(db);
    db.exec(`PRAGMA user_version = ${STATE_SCHEMA_VERSION}`);
  });
}

/**
 * Opens (creating when missing) the state database. Throws STORE_UNAVAILABLE when no SQLite
 * driver loads, STORE_FAILED when the file is not a database, is locked by another process or
 * comes from a newer glassbox, INVALID_OPTION for bad retention.
 */
export function openStateStore(options: StateStoreOptions): StateStore {
  if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || options.path === '') {
    invalid('openStateStore needs { path } (a database file, or ":memory:")');
  }
  const durability = options.durability ?? 'normal';
  if (durability !== 'normal' && durability !== 'full') invalid(`durability must be 'normal' or 'full', got ${String(durability)}`);
  const retention = resolveRetention(options.retention);
  const now = options.now ?? Date.now;
  const { path } = options;
  const db = openSqlite(path, options.driver ?? 'auto');
  try {
    prepareDatabase(db, path, durability);
  } catch (error) {
    db.close();
    throw storeError(`cannot open the state database ${path}`, error);
  }

  const statements = new Map<string, SqliteStatement>();
  const sql = (text: string): SqliteStatement => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  let closed = false;
  /** Runs a database operation; driver failures become STORE_FAILED naming `what`. */
  const guard = <T>(what: string, fn: () => T): T => {
    if (closed) throw new GlassboxError('STORE_FAILED', `cannot ${what}: the state database ${path} is closed`);
    try {
      return fn();
    } catch (cause) {
      throw storeError(`cannot ${what} in ${path}`, cause);
    }
  };
  const getMeta = (key: string): string | null => nullableStr(sql('SELECT value FROM meta WHERE key = ?').get(key)?.['value']);
  const setMeta = (key: string, value: string | null): void => {
    if (value === null) sql('DELETE FROM meta WHERE key = ?').run(key);
    else sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  };

  let lastAgePrune = -Infinity;
  const pruneByAge = (force: boolean) => {
    if (retention.auditMaxAgeMs === null) return;
    const t = now();
    if (!force && t - lastAgePrune < 60_000) return;
    lastAgePrune = t;
    sql('DELETE FROM audit WHERE time < ?').run(t - retention.auditMaxAgeMs);
  };

  const auditLog: AuditLog = {
    limit: retention.auditRows,
    get size() {
      return guard('count audit rows', () => num(sql('SELECT count(*) AS n FROM audit').get()?.['n'] ?? 0));
    },
    add(entry) {
      this.addAll([entry]);
    },
    addAll(entries) {
      if (retention.auditRows === 0 || entries.length === 0) return;
      guard('write audit rows', () =>
        db.transaction(() => {
          const insert = sql('INSERT OR REPLACE INTO audit (id, time, model_id, calibration_id, entry) VALUES (?, ?, ?, ?, ?)');
          let last = 0;
          for (const e of entries) {
            const time = Date.parse(e.time);
            const stored = JSON.stringify({ ...e, feedback: null }); // feedback lives in its own table
            last = num(insert.run(e.id, Number.isFinite(time) ? time : now(), e.model_id, e.calibration_id, stored).lastInsertRowid);
          }
          sql('DELETE FROM audit WHERE seq <= ?').run(last - retention.auditRows);
          pruneByAge(false);
        }),
      );
    },
    get(id) {
      return guard('read the audit log', () => {
        const row = sql(`SELECT entry, ${LATEST_FEEDBACK} FROM audit WHERE id = ?`).get(id);
        return row ? toAuditEntry(row) : undefined;
      });
    },
    list(pageSize, cursor, filter = {}) {
      const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : parseCursor(cursor);
      const { where, params } = auditWhere(filter);
      return guard('read the audit log', (): AuditPage => {
        // One row more than the page says whether an older match exists.
        const rows = sql(`SELECT seq, entry, ${LATEST_FEEDBACK} FROM audit WHERE seq < ?${where} ORDER BY seq DESC LIMIT ?`).all(
          before,
          ...params,
          pageSize + 1,
        );
        const page = rows.slice(0, pageSize);
        const entries = page.map(toAuditEntry);
        return { entries, nextCursor: rows.length > pageSize ? String(num(page[page.length - 1]['seq'])) : null };
      });
    },
    addFeedback(id: string, feedback: AuditFeedback) {
      return guard('write feedback', () => {
        // Appended only when the prediction is held (one statement: no race with pruning).
        const { changes } = sql('INSERT INTO feedback (prediction_id, label, correct, time) SELECT id, ?, ?, ? FROM audit WHERE id = ?').run(
          feedback.label,
          feedback.correct ? 1 : 0,
          feedback.time,
          id,
        );
        return num(changes) > 0;
      });
    },
    feedbackHistory(id: string) {
      return guard('read feedback', () =>
        sql('SELECT label, correct, time FROM feedback WHERE prediction_id = ? ORDER BY seq').all(id).map((r) => toFeedback(r)),
      );
    },
  };

  return {
    path,
    driver: db.driver,
    retention,

    appendObservations(rows) {
      if (rows.length === 0) return;
      guard('write observations', () =>
        db.transaction(() => {
          const insert = sql(
            'INSERT OR REPLACE INTO observations (model_id, idx, time, calibration_id, prediction_id, label, confidence, margin, entropy, truth) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          );
          const newest = new Map<string, number>();
          for (const o of rows) {
            insert.run(o.modelId, o.index, o.time, o.calibrationId, o.predictionId, o.label, o.confidence, o.margin, o.entropy, o.truth);
            newest.set(o.modelId, Math.max(newest.get(o.modelId) ?? -1, o.index));
          }
          for (const [modelId, index] of newest) {
            sql('DELETE FROM observations WHERE model_id = ? AND idx <= ?').run(modelId, index - retention.observations);
          }
        }),
      );
    },

    recentObservations(modelId, limit, sinceMs) {
      return guard('read observations', () => {
        const rows = sql('SELECT * FROM observations WHERE model_id = ? AND time > ? ORDER BY idx DESC LIMIT ?').all(
          modelId,
          sinceMs ?? -Infinity,
          limit,
        );
        return rows.reverse().map(toObservation);
      });
    },

    observedCount(modelId) {
      return guard('read observations', () => {
        const max = sql('SELECT max(idx) AS m FROM observations WHERE model_id = ?').get(modelId)?.['m'];
        return max === null || max === undefined ? 0 : num(max) + 1;
      });
    },

    setTruth(modelId, predictionId, truth) {
      return guard('write feedback', () => {
        const { changes } = sql('UPDATE observations SET truth = ? WHERE model_id = ? AND prediction_id = ?').run(truth, modelId, predictionId);
        return num(changes) > 0;
      });
    },

    appendAlarm(alarm) {
      guard('write an alarm', () =>
        db.transaction(() => {
          const { lastInsertRowid } = sql('INSERT INTO alarms (model_id, record) VALUES (?, ?)').run(alarm.model_id, JSON.stringify(alarm));
          sql('DELETE FROM alarms WHERE seq <= ?').run(num(lastInsertRowid) - retention.alarms);
        }),
      );
    },

    alarms(limit = retention.alarms, modelId) {
      return guard('read alarms', () => {
        const rows =
          modelId === undefined
            ? sql('SELECT record FROM alarms ORDER BY seq DESC LIMIT ?').all(limit)
            : sql('SELECT record FROM alarms WHERE model_id = ? ORDER BY seq DESC LIMIT ?').all(modelId, limit);
        return rows.map((r) => JSON.parse(String(r['record'])) as AlarmRecord);
      });
    },

    appendSeriesPoint(modelId, time, point) {
      guard('write a series point', () =>
        db.transaction(() => {
          sql('INSERT INTO series (model_id, time, point) VALUES (?, ?, ?)').run(modelId, time, JSON.stringify(point));
          sql(
            'DELETE FROM series WHERE model_id = ? AND seq <= (SELECT seq FROM series WHERE model_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
          ).run(modelId, modelId, retention.seriesPoints);
        }),
      );
    },

    seriesPoints(modelId) {
      return guard('read the drift series', () =>
        sql('SELECT point FROM series WHERE model_id = ? ORDER BY seq DESC LIMIT ?')
          .all(modelId, retention.seriesPoints)
          .reverse()
          .map((r) => JSON.parse(String(r['point'])) as SeriesPoint),
      );
    },

    saveReference(profile) {
      guard('write the reference profile', () => setMeta(`reference:${profile.model.id}`, JSON.stringify(profile)));
    },

    loadReference(modelId, labels) {
      const text = guard('read the reference profile', () => getMeta(`reference:${modelId}`));
      return text === null ? null : parseReferenceProfile(JSON.parse(text), { modelId, ...(labels && { labels }) });
    },

    auditLog: () => auditLog,

    saveCalibration(modelId, version, file) {
      guard('write a calibration version', () =>
        db.transaction(() => {
          const seq = num(sql('SELECT coalesce(max(seq), 0) + 1 AS s FROM calibrations WHERE model_id = ?').get(modelId)?.['s'] ?? 1);
          sql(
            'INSERT INTO calibrations (model_id, version, seq, file) VALUES (?, ?, ?, ?) ON CONFLICT (model_id, version) DO UPDATE SET file = excluded.file',
          ).run(modelId, version, seq, JSON.stringify(file));
        }),
      );
    },

    calibrations(modelId) {
      return guard('read calibration versions', () =>
        sql('SELECT version, file FROM calibrations WHERE model_id = ? ORDER BY seq').all(modelId).map((r) => ({
          version: String(r['version']),
          file: JSON.parse(String(r['file'])) as unknown,
        })),
      );
    },

    setActiveCalibration(modelId, version) {
      guard('write the active calibration', () => setMeta(`calibration.active:${modelId}`, version));
    },

    activeCalibration(modelId) {
      return guard('read the active calibration', () => getMeta(`calibration.active:${modelId}`));
    },

    secret(name) {
      return guard('read a secret', () =>
        db.transaction(() => {
          const key = `secret:${name}`;
          let hex = getMeta(key);
          if (hex === null) {
            hex = randomBytes(32).toString('hex');
            setMeta(key, hex);
          }
          return Buffer.from(hex, 'hex');
        }),
      );
    },

    transaction: (fn) => guard('run a transaction', () => db.transaction(fn)),

    probe() {
      guard('write a heartbeat', () => probeWrite(db, now()));
    },

    database: db,

    prune() {
      guard('apply retention', () => pruneByAge(true));
    },

    integrityCheck() {
      return guard('check integrity', () => db.prepare('PRAGMA integrity_check').all().map((r) => String(Object.values(r)[0])));
    },

    summary() {
      const integrity = this.integrityCheck();
      return guard('summarise the state', (): StateSummary => {
        const count = (table: string) => num(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.['n'] ?? 0);
        const span = db.prepare('SELECT min(time) AS oldest, max(time) AS newest FROM audit').get();
        const models = new Set<string>();
        for (const table of ['observations', 'series', 'calibrations']) {
          for (const r of db.prepare(`SELECT DISTINCT model_id FROM ${table}`).all()) models.add(String(r['model_id']));
        }
        for (const r of db.prepare("SELECT key FROM meta WHERE key LIKE 'reference:%'").all()) models.add(String(r['key']).slice('reference:'.length));
        return {
          path,
          driver: db.driver,
          schemaVersion: num(db.prepare('PRAGMA user_version').get()?.['user_version'] ?? 0),
          integrity,
          auditRows: count('audit'),
          auditSpan:
            span?.['oldest'] === null || span?.['oldest'] === undefined
              ? null
              : { oldest: new Date(num(span['oldest'])).toISOString(), newest: new Date(num(span['newest'])).toISOString() },
          alarms: count('alarms'),
          models: [...models].sort().map((modelId) => {
            const o = db.prepare('SELECT count(*) AS n, count(truth) AS labelled FROM observations WHERE model_id = ?').get(modelId);
            return {
              modelId,
              observed: this.observedCount(modelId),
              observations: num(o?.['n'] ?? 0),
              withFeedback: num(o?.['labelled'] ?? 0),
              reference: getMeta(`reference:${modelId}`) !== null,
              calibrations: this.calibrations(modelId).map((c) => c.version),
              activeCalibration: this.activeCalibration(modelId),
              seriesPoints: num(db.prepare('SELECT count(*) AS n FROM series WHERE model_id = ?').get(modelId)?.['n'] ?? 0),
            };
          }),
        };
      });
    },

    close() {
      if (closed) return;
      closed = true;
      statements.clear();
      db.close();
    },
  };
}
