import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { GlassboxError } from '@glassbox/core';
import type { AuditEntry, AuditFeedback, AuditFilter, AuditPage } from '../audit-log.js';
import { parseCursor } from '../audit-log.js';
import type { AsyncAuditLog, AsyncCalibrationStore, CalibrationWatch } from '../shared-state.js';
import type { ResolvedRetention, StateRetention, StateSummary } from '../state/records.js';
import { resolveRetention } from '../state-store.js';
import { listenForNotifications, type PgListener } from './pg-notify.js';
import { migrate } from './pg-schema.js';

/**
 * The state replicas share, in PostgreSQL: the audit log with its feedback events, calibration
 * versions and the active one, and secrets (the feedback-token key), through a connection pool.
 * Each audit row and feedback event names the replica that wrote it. Every write is one
 * transaction, committed before its promise resolves (so before any response acknowledges it).
 */

export interface PgStateStoreOptions {
  /** postgres://user[:password]@host[:port]/database (or ?host=/socket/dir). */
  url: string;
  /** Names this replica in audit rows, feedback and heartbeats. Default `<hostname>:<pid>`. */
  replicaId?: string;
  retention?: StateRetention;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Milliseconds a query or a connection attempt may take before it fails (default 5000). */
  timeoutMs?: number;
  now?: () => number;
}

export interface PgStateStore extends AsyncCalibrationStore {
  /** The URL without its password. */
  readonly path: string;
  readonly driver: 'pg';
  readonly replicaId: string;
  readonly retention: ResolvedRetention;
  readonly audit: AsyncAuditLog;
  /** A random 32-byte secret under `name`, created by whichever replica asks first. */
  secret(name: string): Promise<Buffer>;
  /** Writes this replica's heartbeat; rejects while the database does not take writes. */
  probe(): Promise<void>;
  /** Applies the age limit now. */
  prune(): Promise<void>;
  summary(): Promise<StateSummary>;
  /** LISTENs on a dedicated connection (reconnecting every second while the server is away); see AsyncCalibrationStore. */
  watchCalibrations(listener: (modelId: string | null) => void): CalibrationWatch;
  /** Ends the pool and every watch. Idempotent. */
  close(): Promise<void>;
}

/** Whether a state location names a PostgreSQL database rather than an SQLite file. */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/** The URL with any password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** The channel a new calibration version or a changed selection is announced on; the payload is the model id. */
export const CALIBRATION_CHANNEL = 'glassbox_calibration';

/** Tries of addCalibration before it gives up: each lost race means another replica's version was stored. */
const ADD_CALIBRATION_ATTEMPTS = 50;

const LATEST_FEEDBACK = `LEFT JOIN LATERAL (SELECT f.label, f.correct, f.time FROM feedback f WHERE f.prediction_id = a.id ORDER BY f.seq DESC LIMIT 1) fb ON true`;

function toEntry(row: { entry: AuditEntry; label: string | null; correct: boolean | null; time: string | null }): AuditEntry {
  return { ...row.entry, feedback: row.label === null ? null : { label: row.label, correct: Boolean(row.correct), time: String(row.time) } };
}

/** SQL conditions (each starting with AND) and parameters for a filter, numbered from `first`. */
function auditWhere(filter: AuditFilter, first: number): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  if (filter.label !== undefined) clauses.push(`a.entry->>'label' = ${p(filter.label)}`);
  if (filter.abstained !== undefined) clauses.push(`(a.entry->>'abstained')::boolean = ${p(filter.abstained)}`);
  if (filter.feedback !== undefined) clauses.push(`fb.label IS ${filter.feedback ? 'NOT ' : ''}NULL`);
  if (filter.correct !== undefined) clauses.push(`fb.correct = ${p(filter.correct)}`);
  if (filter.sinceMs !== undefined) clauses.push(`a.time >= ${p(filter.sinceMs)}`);
  if (filter.untilMs !== undefined) clauses.push(`a.time < ${p(filter.untilMs)}`);
  return { where: clauses.map((c) => ` AND ${c}`).join(''), params };
}

/**
 * Connects, creates or upgrades the schema and returns the store. Throws STORE_FAILED when the
 * database cannot be reached or was written by a newer glassbox, INVALID_OPTION for bad options.
 */
export async function openPgStateStore(options: PgStateStoreOptions): Promise<PgStateStore> {
  if (!isPostgresUrl(options.url)) throw new GlassboxError('INVALID_OPTION', `a PostgreSQL state location starts with postgres://, got ${redactUrl(options.url)}`);
  const where = redactUrl(options.url);
  const retention = resolveRetention(options.retention);
  const replicaId = options.replicaId ?? `${hostname()}:${process.pid}`;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 5000;
  const pool: Pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: `glassbox ${replicaId}`.slice(0, 63),
  });
  // An idle connection that breaks (the server restarted) must not crash the process: the next query reconnects.
  pool.on('error', () => undefined);
  let closed = false;

  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new GlassboxError('STORE_FAILED', `cannot ${what}: the state database ${where} is closed`);
    try {
      return await fn();
    } catch (cause) {
      if (cause instanceof GlassboxError) throw cause;
      throw new GlassboxError('STORE_FAILED', `cannot ${what} in ${where}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
  };
  const q = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) => (await pool.query<R>(text, params)).rows;
  const transaction = async <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };

  let schemaVersion: number;
  try {
    schemaVersion = await guard('open the state database', async () => {
      const client = await pool.connect();
      try {
        return await migrate(client, where);
      } finally {
        client.release();
      }
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }

  const listeners = new Set<PgListener>();
  let lastAgePrune = -Infinity;
  const pruneByAge = async (client: Pick<PoolClient, 'query'>, force: boolean) => {
    if (retention.auditMaxAgeMs === null) return;
    const t = now();
    if (!force && t - lastAgePrune < 60_000) return;
    lastAgePrune = t;
    await client.query('DELETE FROM audit WHERE time < $1', [t - retention.auditMaxAgeMs]);
  };

  const audit: AsyncAuditLog = {
    limit: retention.auditRows,
    size: () => guard('count audit rows', async () => Number((await q<{ n: string }>('SELECT count(*) AS n FROM audit'))[0].n)),
    addAll: (entries) =>
      guard('write audit rows', async () => {
        if (retention.auditRows === 0 || entries.length === 0) return;
        await transaction(async (client) => {
          for (const e of entries) {
            const time = Date.parse(e.time);
            await client.query(
              `INSERT INTO audit (id, time, model_id, calibration_id, replica, entry) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (id) DO UPDATE SET time = excluded.time, model_id = excluded.model_id, calibration_id = excluded.calibration_id, replica = excluded.replica, entry = excluded.entry`,
              [e.id, Number.isFinite(time) ? time : now(), e.model_id, e.calibration_id, replicaId, JSON.stringify({ ...e, feedback: null })],
            );
          }
          await client.query('DELETE FROM audit WHERE seq <= (SELECT seq FROM audit ORDER BY seq DESC OFFSET $1 LIMIT 1)', [retention.auditRows]);
          await pruneByAge(client, false);
        });
      }),
    get: (id) =>
      guard('read the audit log', async () => {
        const rows = await q(`SELECT a.entry, fb.label, fb.correct, fb.time FROM audit a ${LATEST_FEEDBACK} WHERE a.id = $1`, [id]);
        return rows.length === 0 ? undefined : toEntry(rows[0] as Parameters<typeof toEntry>[0]);
      }),
    list: async (pageSize, cursor, filter = {}) => {
      const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : parseCursor(cursor);
      const { where: conditions, params } = auditWhere(filter, 2);
      return guard('read the audit log', async (): Promise<AuditPage> => {
        // One row more than the page says whether an older match exists.
        const rows = await q(
          `SELECT a.seq, a.entry, fb.label, fb.correct, fb.time FROM audit a ${LATEST_FEEDBACK} WHERE a.seq < $1${conditions} ORDER BY a.seq DESC LIMIT $${params.length + 2}`,
          [before, ...params, pageSize + 1],
        );
        const page = rows.slice(0, pageSize);
        return {
          entries: page.map((r) => toEntry(r as Parameters<typeof toEntry>[0])),
          nextCursor: rows.length > pageSize ? String(page[page.length - 1]['seq']) : null,
        };
      });
    },
    addFeedback: (id, feedback: AuditFeedback) =>
      guard('write feedback', async () => {
        // Appended only when the prediction is held (one statement: no race with pruning).
        const result = await pool.query(
          'INSERT INTO feedback (prediction_id, label, correct, time, replica) SELECT id, $1, $2, $3, $4 FROM audit WHERE id = $5',
          [feedback.label, feedback.correct, feedback.time, replicaId, id],
        );
        return (result.rowCount ?? 0) > 0;
      }),
    feedbackHistory: (id) =>
      guard('read feedback', async () =>
        (await q<AuditFeedback>('SELECT label, correct, time FROM feedback WHERE prediction_id = $1 ORDER BY seq', [id])).map((r) => ({
          label: r.label,
          correct: r.correct,
          time: r.time,
        })),
      ),
  };

  const setMeta = (key: string, value: string | null) =>
    value === null
      ? q('DELETE FROM meta WHERE key = $1', [key])
      : q('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  const getMeta = async (key: string) => (await q<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))[0]?.value ?? null;

  const calibrations: AsyncCalibrationStore & Pick<PgStateStore, 'watchCalibrations'> = {
    saveCalibration: (modelId, version, file) =>
      guard('write a calibration version', async () => {
        await q(
          `INSERT INTO calibrations (model_id, version, seq, file)
           VALUES ($1, $2, (SELECT coalesce(max(seq), 0) + 1 FROM calibrations WHERE model_id = $1), $3)
           ON CONFLICT (model_id, version) DO UPDATE SET file = excluded.file`,
          [modelId, version, JSON.stringify(file)],
        );
      }),
    addCalibration: (modelId, file) =>
      guard('write a calibration version', async () => {
        // One statement (its own transaction) takes the next id; when another replica's insert of
        // that id commits first, the primary key turns this one into a no-op and it runs again
        // with a fresh snapshot, so concurrent replicas get distinct ids and none overwrites another.
        for (let attempt = 0; attempt < ADD_CALIBRATION_ATTEMPTS; attempt++) {
          // Announced to listening replicas (on commit) only when it was stored.
          const rows = await q<{ version: string }>(
            `WITH added AS (
               INSERT INTO calibrations (model_id, version, seq, file)
               SELECT $1, 'v' || (coalesce(max(substring(version from '^v([0-9]+)$')::bigint), 0) + 1), coalesce(max(seq), 0) + 1, $2
               FROM calibrations WHERE model_id = $1
               ON CONFLICT (model_id, version) DO NOTHING RETURNING version
             )
             SELECT version, pg_notify($3, $1) FROM added`,
            [modelId, JSON.stringify(file), CALIBRATION_CHANNEL],
          );
          if (rows.length === 1) return rows[0].version;
        }
        throw new GlassboxError('STORE_FAILED', `cannot write a calibration version in ${where}: ${ADD_CALIBRATION_ATTEMPTS} concurrent writers took every id tried`);
      }),
    calibrations: (modelId) =>
      guard('read calibration versions', async () =>
        (await q<{ version: string; file: unknown }>('SELECT version, file FROM calibrations WHERE model_id = $1 ORDER BY seq', [modelId])).map((r) => ({
          version: r.version,
          file: r.file,
        })),
      ),
    setActiveCalibration: (modelId, version) =>
      guard('write the active calibration', () =>
        transaction(async (client) => {
          const key = `calibration.active:${modelId}`;
          if (version === null) await client.query('DELETE FROM meta WHERE key = $1', [key]);
          else await client.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, version]);
          // Delivered when the selection commits: listening replicas apply it at once, not at their next poll.
          await client.query('SELECT pg_notify($1, $2)', [CALIBRATION_CHANNEL, modelId]);
        }),
      ),
    watchCalibrations: (listener) => {
      const watcher = listenForNotifications({
        url: options.url,
        channel: CALIBRATION_CHANNEL,
        onNotify: listener,
        timeoutMs,
        applicationName: `glassbox ${replicaId} listen`.slice(0, 63),
      });
      listeners.add(watcher);
      return {
        ready: watcher.ready,
        close: async () => {
          listeners.delete(watcher);
          await watcher.close();
        },
      };
    },
    activeCalibration: (modelId) => guard('read the active calibration', () => getMeta(`calibration.active:${modelId}`)),
  };

  return {
    path: where,
    driver: 'pg',
    replicaId,
    retention,
    audit,
    ...calibrations,
    secret: (name) =>
      guard('read a secret', async () => {
        const key = `secret:${name}`;
        // Whichever replica asks first creates it; the others read that one.
        await q('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, randomBytes(32).toString('hex')]);
        return Buffer.from(String(await getMeta(key)), 'hex');
      }),
    probe: () => guard('write a heartbeat', async () => void (await setMeta(`heartbeat:${replicaId}`, new Date(now()).toISOString()))),
    prune: () => guard('apply retention', () => pruneByAge(pool, true)),
    summary: () =>
      guard('summarise the state', async (): Promise<StateSummary> => {
        const [counts] = await q<{ n: string; oldest: number | null; newest: number | null }>('SELECT count(*) AS n, min(time) AS oldest, max(time) AS newest FROM audit');
        const replicas = await q<{ replica: string; n: string }>('SELECT replica, count(*) AS n FROM audit GROUP BY replica ORDER BY replica');
        const heartbeats = await q<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'heartbeat:%'");
        const models = await q<{ model_id: string }>('SELECT DISTINCT model_id FROM calibrations ORDER BY model_id');
        const seen = new Map<string, { replica: string; auditRows: number; heartbeat: string | null }>();
        for (const r of replicas) seen.set(r.replica, { replica: r.replica, auditRows: Number(r.n), heartbeat: null });
        for (const h of heartbeats) {
          const replica = h.key.slice('heartbeat:'.length);
          seen.set(replica, { replica, auditRows: seen.get(replica)?.auditRows ?? 0, heartbeat: h.value });
        }
        return {
          path: where,
          driver: 'pg',
          schemaVersion,
          // PostgreSQL checks its own pages; reaching this line means it answered every query.
          integrity: ['ok'],
          auditRows: Number(counts.n),
          auditSpan:
            counts.oldest === null || counts.newest === null
              ? null
              : { oldest: new Date(Number(counts.oldest)).toISOString(), newest: new Date(Number(counts.newest)).toISOString() },
          alarms: 0,
          models: await Promise.all(
            models.map(async ({ model_id: modelId }) => ({
              modelId,
              observed: 0,
              observations: 0,
              withFeedback: 0,
              reference: false,
              calibrations: (await calibrations.calibrations(modelId)).map((c) => c.version),
              activeCalibration: await calibrations.activeCalibration(modelId),
              seriesPoints: 0,
            })),
          ),
          replicas: [...seen.values()].sort((a, b) => a.replica.localeCompare(b.replica)),
        };
      }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listeners].map((l) => l.close()));
      listeners.clear();
      await pool.end().catch(() => undefined);
    },
  };
}
