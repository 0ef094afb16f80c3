import { GlassboxError } from '@glassbox/core';
import type { PoolClient } from 'pg';

/**
 * The PostgreSQL state schema: versioned migrations recorded in `glassbox_schema_version`, applied
 * in one transaction under an advisory lock so that replicas starting together migrate once.
 * Only what replicas share lives here: the audit log, feedback events, calibration versions, the
 * active version, secrets and each replica's heartbeat (`meta`). Each replica's drift window stays
 * its own (fleet drift comes from Prometheus summing the replicas' bucket counts).
 */

export const PG_SCHEMA_VERSION = 1;

const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE audit (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  time DOUBLE PRECISION NOT NULL,
  model_id TEXT NOT NULL,
  calibration_id TEXT,
  replica TEXT NOT NULL,
  entry JSONB NOT NULL
);
CREATE INDEX audit_time ON audit (time);
CREATE TABLE feedback (
  seq BIGSERIAL PRIMARY KEY,
  prediction_id TEXT NOT NULL REFERENCES audit (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  correct BOOLEAN NOT NULL,
  time TEXT NOT NULL,
  replica TEXT NOT NULL
);
CREATE INDEX feedback_prediction ON feedback (prediction_id, seq);
CREATE TABLE calibrations (
  model_id TEXT NOT NULL,
  version TEXT NOT NULL,
  seq INTEGER NOT NULL,
  file JSONB NOT NULL,
  PRIMARY KEY (model_id, version)
);
`,
  },
];

/** Any number unique to glassbox: the advisory lock its migrations take. */
const MIGRATION_LOCK = 0x676c6173;

/** Creates or upgrades the schema; refuses a database written by a newer glassbox. Returns the version. */
export async function migrate(client: PoolClient, where: string): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS glassbox_schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM glassbox_schema_version');
    const current = rows[0]?.v ?? 0;
    if (current > PG_SCHEMA_VERSION) {
      throw new GlassboxError(
        'STORE_FAILED',
        `state database ${where} has schema version ${current}, written by a newer glassbox (this one reads up to ${PG_SCHEMA_VERSION})`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO glassbox_schema_version (version) VALUES ($1)', [m.version]);
    }
    await client.query('COMMIT');
    return Math.max(current, PG_SCHEMA_VERSION);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
