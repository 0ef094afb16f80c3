import type { StoreContext } from './context.js';
import { nullableNum, nullableStr, num } from './context.js';
import type { StoredObservation } from './records.js';

/** The observations table: the raw signals behind each model's drift window. */
export interface ObservationsTable {
  appendObservations(rows: readonly StoredObservation[]): void;
  recentObservations(modelId: string, limit: number, sinceMs?: number): StoredObservation[];
  observedCount(modelId: string): number;
  setTruth(modelId: string, predictionId: string, truth: number): boolean;
}

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

export function observationsTable(ctx: StoreContext): ObservationsTable {
  const { sql, guard, retention } = ctx;
  return {
    appendObservations(rows) {
      if (rows.length === 0) return;
      guard('write observations', () =>
        ctx.db.transaction(() => {
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
  };
}
