import type { AuditEntry, AuditFilter, AuditLog, AuditPage } from '../audit-log.js';
import { parseCursor } from '../audit-log.js';
import type { SqliteValue } from '../sqlite.js';
import type { StoreContext } from './context.js';
import { num } from './context.js';
import type { FeedbackTable } from './feedback-table.js';
import { LATEST_FEEDBACK, toFeedback } from './feedback-table.js';

/**
 * The audit table: served predictions, newest `retention.auditRows` kept (and none older than
 * `retention.auditMaxAgeMs`), each with its latest feedback from the feedback table.
 */
export interface AuditTable {
  /** The audit log the store hands out. */
  readonly log: AuditLog;
  /** Applies the age limit now, or (unforced) at most once a minute. */
  pruneByAge(force: boolean): void;
}

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

export function auditTable(ctx: StoreContext, feedback: FeedbackTable): AuditTable {
  const { sql, guard, retention, now } = ctx;
  let lastAgePrune = -Infinity;
  const pruneByAge = (force: boolean) => {
    if (retention.auditMaxAgeMs === null) return;
    const t = now();
    if (!force && t - lastAgePrune < 60_000) return;
    lastAgePrune = t;
    sql('DELETE FROM audit WHERE time < ?').run(t - retention.auditMaxAgeMs);
  };

  const log: AuditLog = {
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
        ctx.db.transaction(() => {
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
    addFeedback: feedback.addFeedback,
    feedbackHistory: feedback.feedbackHistory,
  };
  return { log, pruneByAge };
}
