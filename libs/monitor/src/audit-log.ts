import { GlassboxError } from '@glassbox/core';
import type { AuditEntry, AuditFeedback } from './audit-entry.js';

export type { AuditEntry, AuditFeedback } from './audit-entry.js';

/** Which audit entries a listing keeps; every field given must hold. */
export interface AuditFilter {
  /** The predicted label. */
  label?: string;
  abstained?: boolean;
  /** true: feedback arrived; false: none yet. */
  feedback?: boolean;
  /** The latest feedback agreed (true) or disagreed (false) with the prediction; entries without feedback never match. */
  correct?: boolean;
  /** Served at or after this time (milliseconds since the epoch). */
  sinceMs?: number;
  /** Served before this time (milliseconds since the epoch). */
  untilMs?: number;
}

/** Whether `entry` passes `filter` (the in-memory rule; SQL does the same in the state store). */
export function matchesAuditFilter(entry: AuditEntry, filter: AuditFilter): boolean {
  const time = Date.parse(entry.time);
  return (
    (filter.label === undefined || entry.label === filter.label) &&
    (filter.abstained === undefined || entry.abstained === filter.abstained) &&
    (filter.feedback === undefined || (entry.feedback !== null) === filter.feedback) &&
    (filter.correct === undefined || (entry.feedback !== null && entry.feedback.correct === filter.correct)) &&
    (filter.sinceMs === undefined || time >= filter.sinceMs) &&
    (filter.untilMs === undefined || time < filter.untilMs)
  );
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Cursor of the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * The most recent served predictions: at most `limit` entries (the oldest drop first), indexed
 * by id. Pages run newest first; a cursor is the sequence number of the last entry a page
 * returned, so predictions served meanwhile never shift later pages. Two implementations keep
 * this contract: `createMemoryAuditLog` (a ring buffer) and a state store's `auditLog` (SQLite).
 */
export interface AuditLog {
  readonly limit: number;
  /** Entries held now. */
  readonly size: number;
  /** Adds a served prediction (its `feedback` is ignored: feedback arrives through addFeedback). */
  add(entry: AuditEntry): void;
  /** Adds entries in order, all or none (one transaction in SQLite). */
  addAll(entries: readonly AuditEntry[]): void;
  get(id: string): AuditEntry | undefined;
  /**
   * Newest first, `limit` at most, older than `cursor` when given (INVALID_INPUT for a malformed
   * cursor), only entries matching `filter`. The next cursor is null exactly when no older entry
   * matches.
   */
  list(limit: number, cursor?: string, filter?: AuditFilter): AuditPage;
  /**
   * Appends a feedback event (append-only: a correction is a new event, earlier ones stay in
   * `feedbackHistory`); the entry's `feedback` is then this one. False for an unknown id.
   */
  addFeedback(id: string, feedback: AuditFeedback): boolean;
  /** Every feedback event of a prediction, oldest first; empty for an unknown id or none. */
  feedbackHistory(id: string): AuditFeedback[];
}

/** What a cursor looks like: the sequence number of an entry. */
export const CURSOR_PATTERN = /^(0|[1-9]\d{0,15})$/;

/** Checks a cursor and returns the sequence number it names. */
export function parseCursor(cursor: string): number {
  if (!CURSOR_PATTERN.test(cursor)) {
    throw new GlassboxError('INVALID_INPUT', `cursor "${cursor}" is not one this server gave out; use next_cursor from the previous page`);
  }
  return Number(cursor);
}

export function checkAuditLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) throw new GlassboxError('INVALID_OPTION', `audit limit must be an integer >= 0, got ${limit}`);
}

/** The audit log as a ring buffer in memory: gone with the process. */
export function createMemoryAuditLog(limit: number): AuditLog {
  checkAuditLimit(limit);
  const slots: Array<AuditEntry | undefined> = new Array<AuditEntry | undefined>(limit);
  const seqById = new Map<string, number>();
  /** Feedback events per held entry, oldest first (dropped with the entry). */
  const history = new Map<string, AuditFeedback[]>();
  /** Sequence number the next entry gets; entries hold [max(0, next - limit), next). */
  let next = 0;
  const oldest = () => Math.max(0, next - limit);

  return {
    limit,
    get size() {
      return next - oldest();
    },
    add(entry) {
      if (limit === 0) return;
      const slot = next % limit;
      const evicted = slots[slot];
      if (evicted !== undefined && seqById.get(evicted.id) === next - limit) {
        seqById.delete(evicted.id);
        history.delete(evicted.id);
      }
      slots[slot] = { ...entry, feedback: null };
      history.delete(entry.id);
      seqById.set(entry.id, next);
      next++;
    },
    addAll(entries) {
      for (const entry of entries) this.add(entry);
    },
    get(id) {
      const seq = seqById.get(id);
      return seq === undefined ? undefined : slots[seq % limit];
    },
    list(pageSize, cursor, filter = {}) {
      let seq = next - 1;
      if (cursor !== undefined) seq = Math.min(seq, parseCursor(cursor) - 1);
      const entries: AuditEntry[] = [];
      let last = -1;
      for (; seq >= oldest(); seq--) {
        const entry = slots[seq % limit] as AuditEntry;
        if (!matchesAuditFilter(entry, filter)) continue;
        if (entries.length === pageSize) return { entries, nextCursor: String(last) };
        entries.push(entry);
        last = seq;
      }
      return { entries, nextCursor: null };
    },
    addFeedback(id, feedback) {
      const entry = this.get(id);
      if (!entry) return false;
      const events = history.get(id) ?? [];
      events.push({ ...feedback });
      history.set(id, events);
      entry.feedback = { ...feedback };
      return true;
    },
    feedbackHistory(id) {
      return (history.get(id) ?? []).map((f) => ({ ...f }));
    },
  };
}
