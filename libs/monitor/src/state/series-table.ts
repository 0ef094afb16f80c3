import type { StoreContext } from './context.js';
import type { SeriesPoint } from './records.js';

/** The series table: each model's drift time series, newest `retention.seriesPoints` kept. */
export interface SeriesTable {
  appendSeriesPoint(modelId: string, time: number, point: SeriesPoint): void;
  seriesPoints(modelId: string): SeriesPoint[];
}

export function seriesTable(ctx: StoreContext): SeriesTable {
  const { sql, guard, retention } = ctx;
  return {
    appendSeriesPoint(modelId, time, point) {
      guard('write a series point', () =>
        ctx.db.transaction(() => {
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
  };
}
