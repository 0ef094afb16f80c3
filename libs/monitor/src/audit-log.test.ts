import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryAuditLog, type AuditEntry, type AuditLog } from './audit-log.js';
import { availableSqliteDrivers } from './sqlite.js';
import { openStateStore, type StateStore } from './state-store.js';
import { auditEntry } from './test-audit.js';

const entry = (id: string): AuditEntry => auditEntry(id);

const ids = (entries: readonly AuditEntry[]) => entries.map((e) => e.id);

/** Every page from the newest, `size` at a time. */
function allPages(trail: AuditLog, size: number): string[][] {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = trail.list(size, cursor);
    pages.push(ids(page.entries));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

const stores: StateStore[] = [];
afterEach(() => {
  while (stores.length > 0) stores.pop()?.close();
});

/** The same contract for the ring buffer and for each SQLite driver that loads here. */
const implementations: Array<[string, (limit: number) => AuditLog]> = [
  ['memory', createMemoryAuditLog],
  ...availableSqliteDrivers().map((driver): [string, (limit: number) => AuditLog] => [
    `SQLite (${driver})`,
    (limit) => {
      const store = openStateStore({ path: ':memory:', driver, retention: { auditRows: limit } });
      stores.push(store);
      return store.auditLog();
    },
  ]),
];

describe.each(implementations)('audit log: %s', (_name, createAuditTrail) => {
  it('lists newest first, a page at a time', () => {
    const trail = createAuditTrail(10);
    expect(trail.list(5)).toEqual({ entries: [], nextCursor: null });
    for (const id of ['a', 'b', 'c', 'd', 'e']) trail.add(entry(id));
    expect(trail.size).toBe(5);
    expect(allPages(trail, 2)).toEqual([['e', 'd'], ['c', 'b'], ['a']]);
    expect(allPages(trail, 5)).toEqual([['e', 'd', 'c', 'b', 'a']]);
  });

  it('drops the oldest past its limit, by list and by id', () => {
    const trail = createAuditTrail(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) trail.add(entry(id));
    expect(trail.size).toBe(3);
    expect(ids(trail.list(10).entries)).toEqual(['e', 'd', 'c']);
    expect(trail.get('a')).toBeUndefined();
    expect(trail.get('b')).toBeUndefined();
    expect(trail.get('c')?.id).toBe('c');
    expect(trail.addFeedback('a', { label: 'joy', correct: true, time: 't' })).toBe(false);
  });

  it('keeps later pages stable while entries arrive, and ends when the rest was dropped', () => {
    const trail = createAuditTrail(4);
    for (const id of ['a', 'b', 'c', 'd']) trail.add(entry(id));
    const first = trail.list(2);
    expect(ids(first.entries)).toEqual(['d', 'c']);
    trail.add(entry('e')); // drops a
    const second = trail.list(2, first.nextCursor ?? undefined);
    expect(ids(second.entries)).toEqual(['b']);
    expect(second.nextCursor).toBeNull();
    // A cursor past everything held gives an empty last page.
    for (const id of ['f', 'g', 'h', 'i']) trail.add(entry(id));
    expect(trail.list(2, first.nextCursor ?? undefined)).toEqual({ entries: [], nextCursor: null });
  });

  it('attaches feedback in place', () => {
    const trail = createAuditTrail(2);
    trail.add(entry('a'));
    expect(trail.addFeedback('a', { label: 'anger', correct: false, time: 't' })).toBe(true);
    expect(trail.get('a')?.feedback).toEqual({ label: 'anger', correct: false, time: 't' });
    expect(trail.list(1).entries[0].feedback?.label).toBe('anger');
  });

  it('keeps feedback append-only: a correction is a new event, the entry shows the latest', () => {
    const trail = createAuditTrail(3);
    trail.add(entry('a'));
    trail.add(entry('b'));
    expect(trail.feedbackHistory('a')).toEqual([]);
    trail.addFeedback('a', { label: 'anger', correct: false, time: 't1' });
    trail.addFeedback('a', { label: 'joy', correct: true, time: 't2' });
    expect(trail.get('a')?.feedback).toEqual({ label: 'joy', correct: true, time: 't2' });
    expect(trail.feedbackHistory('a')).toEqual([
      { label: 'anger', correct: false, time: 't1' },
      { label: 'joy', correct: true, time: 't2' },
    ]);
    expect(trail.feedbackHistory('b')).toEqual([]);
    expect(trail.feedbackHistory('nope')).toEqual([]);
    // Filters look at the latest feedback only.
    expect(ids(trail.list(10, undefined, { correct: true }).entries)).toEqual(['a']);
    expect(ids(trail.list(10, undefined, { correct: false }).entries)).toEqual([]);
    expect(ids(trail.list(10, undefined, { feedback: true }).entries)).toEqual(['a']);
    expect(ids(trail.list(10, undefined, { feedback: false }).entries)).toEqual(['b']);
    // Its history leaves with the entry.
    for (const id of ['c', 'd', 'e']) trail.add(entry(id));
    expect(trail.get('a')).toBeUndefined();
    expect(trail.feedbackHistory('a')).toEqual([]);
  });

  it('takes feedback only through addFeedback', () => {
    const trail = createAuditTrail(2);
    trail.add({ ...entry('a'), feedback: { label: 'anger', correct: false, time: 't' } });
    expect(trail.get('a')?.feedback).toBeNull();
    expect(trail.feedbackHistory('a')).toEqual([]);
  });

  it('filters by label, abstention, feedback, correctness and time, with exact cursors', () => {
    const trail = createAuditTrail(20);
    // a..h at one-minute steps: anger on even letters, abstentions on every third.
    const letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    letters.forEach((id, i) =>
      trail.add({
        ...entry(id),
        time: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        label: i % 2 === 0 ? 'anger' : 'joy',
        abstained: i % 3 === 0,
      }),
    );
    trail.addFeedback('c', { label: 'anger', correct: true, time: 't' });
    trail.addFeedback('d', { label: 'anger', correct: false, time: 't' });
    trail.addFeedback('e', { label: 'joy', correct: false, time: 't' });

    const all = (filter: Parameters<AuditLog['list']>[2], size = 2): string[] => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = trail.list(size, cursor, filter);
        seen.push(...ids(page.entries));
        if (page.nextCursor === null) return seen;
        expect(page.entries).toHaveLength(size); // a cursor only after a full page
        cursor = page.nextCursor;
      }
      throw new Error('too many pages');
    };
    expect(all({ label: 'anger' })).toEqual(['g', 'e', 'c', 'a']);
    expect(all({ label: 'anger' }, 4)).toEqual(['g', 'e', 'c', 'a']);
    expect(trail.list(4, undefined, { label: 'anger' }).nextCursor).toBeNull(); // nothing older matches
    expect(all({ abstained: true })).toEqual(['g', 'd', 'a']);
    expect(all({ label: 'joy', abstained: false })).toEqual(['h', 'f', 'b']);
    expect(all({ feedback: true })).toEqual(['e', 'd', 'c']);
    expect(all({ feedback: false })).toEqual(['h', 'g', 'f', 'b', 'a']);
    expect(all({ correct: false })).toEqual(['e', 'd']);
    expect(all({ correct: true, label: 'anger' })).toEqual(['c']);
    const minute = (m: number) => Date.UTC(2026, 0, 1, 0, m);
    expect(all({ sinceMs: minute(5) })).toEqual(['h', 'g', 'f']);
    expect(all({ untilMs: minute(2) })).toEqual(['b', 'a']);
    expect(all({ sinceMs: minute(2), untilMs: minute(5), label: 'anger' })).toEqual(['e', 'c']);
    expect(all({ label: 'fear' })).toEqual([]);
  });

  it('refuses malformed cursors; a limit of 0 keeps nothing', () => {
    const trail = createAuditTrail(2);
    for (const cursor of ['', 'abc', '-1', '1.5', '01']) expect(() => trail.list(1, cursor)).toThrow(/cursor/);
    const none = createAuditTrail(0);
    none.add(entry('a'));
    expect(none.size).toBe(0);
    expect(none.get('a')).toBeUndefined();
    expect(none.list(10)).toEqual({ entries: [], nextCursor: null });
    expect(() => createAuditTrail(-1)).toThrow();
  });
});
