import type { AuditFeedback } from '../audit-log.js';
import type { StoreContext } from './context.js';
import { num } from './context.js';

/**
 * The feedback table: append-only feedback events per audited prediction (a trigger drops them
 * with their audit row). The audit log reads the latest one with LATEST_FEEDBACK.
 */
export interface FeedbackTable {
  /** Appends feedback when the prediction is held; false when it is not. */
  addFeedback(id: string, feedback: AuditFeedback): boolean;
  /** Every feedback event of a prediction, oldest first. */
  feedbackHistory(id: string): AuditFeedback[];
}

/** The latest feedback event of an audit row, as columns fb_label, fb_correct, fb_time (NULL without any). */
export const LATEST_FEEDBACK = ['label', 'correct', 'time']
  .map((c) => `(SELECT f.${c} FROM feedback f WHERE f.prediction_id = audit.id ORDER BY f.seq DESC LIMIT 1) AS fb_${c}`)
  .join(', ');

export const toFeedback = (row: Record<string, unknown>, prefix = ''): AuditFeedback => ({
  label: String(row[`${prefix}label`]),
  correct: Boolean(num(row[`${prefix}correct`])),
  time: String(row[`${prefix}time`]),
});

export function feedbackTable(ctx: StoreContext): FeedbackTable {
  const { sql, guard } = ctx;
  return {
    addFeedback(id, feedback) {
      return guard('write feedback', () => {
        // Appended only when the prediction is held (one statement: no race with pruning).
        const { changes } = sql('INSERT INTO feedback (prediction_id, label, correct, time) SELECT id, ?, ?, ? FROM audit WHERE id = ?').run(
          feedback.label,
          feedback.correct ? 1 : 0,
          feedback.time,
          id,
        );
        return num(changes) > 0;
      });
    },
    feedbackHistory(id) {
      return guard('read feedback', () =>
        sql('SELECT label, correct, time FROM feedback WHERE prediction_id = ? ORDER BY seq').all(id).map((r) => toFeedback(r)),
      );
    },
  };
}
