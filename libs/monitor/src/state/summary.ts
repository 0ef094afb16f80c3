import type { SqliteDriverName } from '../sqlite.js';
import type { CalibrationsTable } from './calibrations-table.js';
import type { StoreContext } from './context.js';
import { num } from './context.js';
import type { MetaTable } from './meta-table.js';
import type { ObservationsTable } from './observations-table.js';
import type { StateSummary } from './records.js';
import { REFERENCE_KEY_PREFIX } from './reference-table.js';

/** Counts per model and table (`glassbox monitor state`); `integrity` is the integrity check already run. */
export function summarizeState(
  ctx: StoreContext,
  driver: SqliteDriverName,
  integrity: string[],
  tables: { meta: MetaTable; observations: ObservationsTable; calibrations: CalibrationsTable },
): StateSummary {
  const { db } = ctx;
  return ctx.guard('summarise the state', (): StateSummary => {
    const count = (table: string) => num(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.['n'] ?? 0);
    const span = db.prepare('SELECT min(time) AS oldest, max(time) AS newest FROM audit').get();
    const models = new Set<string>();
    for (const table of ['observations', 'series', 'calibrations']) {
      for (const r of db.prepare(`SELECT DISTINCT model_id FROM ${table}`).all()) models.add(String(r['model_id']));
    }
    for (const r of db.prepare(`SELECT key FROM meta WHERE key LIKE '${REFERENCE_KEY_PREFIX}%'`).all()) {
      models.add(String(r['key']).slice(REFERENCE_KEY_PREFIX.length));
    }
    return {
      path: ctx.path,
      driver,
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
          observed: tables.observations.observedCount(modelId),
          observations: num(o?.['n'] ?? 0),
          withFeedback: num(o?.['labelled'] ?? 0),
          reference: tables.meta.get(`${REFERENCE_KEY_PREFIX}${modelId}`) !== null,
          calibrations: tables.calibrations.calibrations(modelId).map((c) => c.version),
          activeCalibration: tables.calibrations.activeCalibration(modelId),
          seriesPoints: num(db.prepare('SELECT count(*) AS n FROM series WHERE model_id = ?').get(modelId)?.['n'] ?? 0),
        };
      }),
    };
  });
}
