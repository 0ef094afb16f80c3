import { GlassboxError } from '@glassbox/core';
import type { AuditLog } from './audit-log.js';
import type { ReferenceProfile } from './reference-profile.js';
import type { SqliteDatabase, SqliteDriverName } from './sqlite.js';
import { openSqlite, storeError } from './sqlite.js';
import { alarmsTable } from './state/alarms-table.js';
import { auditTable } from './state/audit-table.js';
import { calibrationsTable } from './state/calibrations-table.js';
import { createStoreContext } from './state/context.js';
import { feedbackTable } from './state/feedback-table.js';
import { metaTable } from './state/meta-table.js';
import { observationsTable } from './state/observations-table.js';
import type {
  AlarmRecord,
  ResolvedRetention,
  SeriesPoint,
  StateRetention,
  StateSummary,
  StoredCalibration,
  StoredObservation,
} from './state/records.js';
import { referenceTable } from './state/reference-table.js';
import { prepareDatabase } from './state/schema.js';
import { seriesTable } from './state/series-table.js';
import { summarizeState } from './state/summary.js';

export { STATE_SCHEMA_VERSION } from './state/schema.js';
export type {
  AlarmRecord,
  ResolvedRetention,
  SeriesPoint,
  StateRetention,
  StateSummary,
  StoredCalibration,
  StoredObservation,
} from './state/records.js';

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
 *
 * This module is the facade: each table is read and written by its own module under state/
 * (audit, feedback, observations, alarms, series, reference, calibrations, meta), sharing one
 * connection, statement cache and guard (state/context.ts); state/schema.ts holds the schema and
 * its migrations.
 */

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

export interface StateStore {
  readonly path: string;
  readonly driver: SqliteDriverName;
  readonly retention: ResolvedRetention;
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
  /** Stores a new calibration version `v<n>` of a model (n one past the highest stored) and returns its id. */
  addCalibration(modelId: string, file: unknown): string;
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

function invalid(message: string): never {
  throw new GlassboxError('INVALID_OPTION', message);
}

/** Retention with its defaults; INVALID_OPTION for a bad limit. */
export function resolveRetention(retention: StateRetention = {}): ResolvedRetention {
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

  const ctx = createStoreContext(db, path, retention, now);
  const meta = metaTable(ctx);
  const observations = observationsTable(ctx);
  const calibrations = calibrationsTable(ctx, meta);
  const audit = auditTable(ctx, feedbackTable(ctx));
  const integrityCheck = (): string[] =>
    ctx.guard('check integrity', () => db.prepare('PRAGMA integrity_check').all().map((r) => String(Object.values(r)[0])));

  return {
    path,
    driver: db.driver,
    retention,
    ...observations,
    ...alarmsTable(ctx),
    ...seriesTable(ctx),
    ...referenceTable(ctx, meta),
    auditLog: () => audit.log,
    ...calibrations,
    secret: meta.secret,
    transaction: (fn) => ctx.guard('run a transaction', () => db.transaction(fn)),
    probe: meta.probe,
    database: db,
    prune() {
      ctx.guard('apply retention', () => audit.pruneByAge(true));
    },
    integrityCheck,
    summary: () => summarizeState(ctx, db.driver, integrityCheck(), { meta, observations, calibrations }),
    close: () => ctx.close(),
  };
}
