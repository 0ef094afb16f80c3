import { GlassboxError } from '@glassbox/core';
import type { SqliteDatabase } from '../sqlite.js';
import { storeError } from '../sqlite.js';

/**
 * The state database's tables (one module per table reads and writes it), the schema version and
 * the migrations from older versions.
 */

export const STATE_SCHEMA_VERSION = 2;

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

/** Sets the pragmas and creates (or checks) the schema. */
export function prepareDatabase(db: SqliteDatabase, path: string, durability: 'normal' | 'full'): void {
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
  const version = Number(db.prepare('PRAGMA user_version').get()?.['user_version'] ?? 0);
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
