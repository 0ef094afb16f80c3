import type { StoreContext } from './context.js';
import { num } from './context.js';
import type { AlarmRecord } from './records.js';

/** The alarms table: drift alarms as fired, newest `retention.alarms` kept. */
export interface AlarmsTable {
  appendAlarm(alarm: AlarmRecord): void;
  alarms(limit?: number, modelId?: string): AlarmRecord[];
}

export function alarmsTable(ctx: StoreContext): AlarmsTable {
  const { sql, guard, retention } = ctx;
  return {
    appendAlarm(alarm) {
      guard('write an alarm', () =>
        ctx.db.transaction(() => {
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
  };
}
