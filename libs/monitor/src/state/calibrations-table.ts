import type { StoreContext } from './context.js';
import { num } from './context.js';
import type { MetaTable } from './meta-table.js';
import type { StoredCalibration } from './records.js';

/** The calibrations table (versions per model) and the active version (a meta row). */
export interface CalibrationsTable {
  saveCalibration(modelId: string, version: string, file: unknown): void;
  /** Stores `file` as a new version `v<n>`, n one past the highest stored for the model; returns its id. */
  addCalibration(modelId: string, file: unknown): string;
  calibrations(modelId: string): StoredCalibration[];
  setActiveCalibration(modelId: string, version: string | null): void;
  activeCalibration(modelId: string): string | null;
}

/** One past the highest n among ids `v<n>` (1 when there is none). */
export function nextVersionNumber(ids: readonly string[]): number {
  return ids.reduce((max, id) => Math.max(max, /^v[0-9]+$/.test(id) ? Number(id.slice(1)) : 0), 0) + 1;
}

export function calibrationsTable(ctx: StoreContext, meta: MetaTable): CalibrationsTable {
  const { sql, guard } = ctx;
  return {
    saveCalibration(modelId, version, file) {
      guard('write a calibration version', () =>
        ctx.db.transaction(() => {
          const seq = num(sql('SELECT coalesce(max(seq), 0) + 1 AS s FROM calibrations WHERE model_id = ?').get(modelId)?.['s'] ?? 1);
          sql(
            'INSERT INTO calibrations (model_id, version, seq, file) VALUES (?, ?, ?, ?) ON CONFLICT (model_id, version) DO UPDATE SET file = excluded.file',
          ).run(modelId, version, seq, JSON.stringify(file));
        }),
      );
    },

    addCalibration(modelId, file) {
      return guard('write a calibration version', () =>
        ctx.db.transaction(() => {
          // One connection holds the database (locking_mode=EXCLUSIVE): the transaction alone makes the id unique.
          const ids = sql('SELECT version FROM calibrations WHERE model_id = ?').all(modelId).map((r) => String(r['version']));
          const version = `v${nextVersionNumber(ids)}`;
          const seq = num(sql('SELECT coalesce(max(seq), 0) + 1 AS s FROM calibrations WHERE model_id = ?').get(modelId)?.['s'] ?? 1);
          sql('INSERT INTO calibrations (model_id, version, seq, file) VALUES (?, ?, ?, ?)').run(modelId, version, seq, JSON.stringify(file));
          return version;
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
      guard('write the active calibration', () => meta.set(`calibration.active:${modelId}`, version));
    },

    activeCalibration(modelId) {
      return guard('read the active calibration', () => meta.get(`calibration.active:${modelId}`));
    },
  };
}
