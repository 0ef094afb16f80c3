import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryAuditLog, type AuditEntry } from './audit-log.js';
import { openPgStateStore } from './pg/pg-state-store.js';
import { fromAuditLog, type AsyncAuditLog } from './shared-state.js';
import { availableSqliteDrivers } from './sqlite.js';
import { openStateStore, type StateStore } from './state-store.js';
import { auditEntry } from './test-audit.js';
import { usePostgresForFile } from './test-postgres.js';

const entry = (id: string): AuditEntry => auditEntry(id);

const ids = (entries: readonly AuditEntry[]) => entries.map((e) => e.id);

/** Every page from the newest, `size` at a time. */
async function allPages(trail: AsyncAuditLog, size: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await trail.list(size, cursor);
    pages.push(ids(page.entries));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

const closers: Array<() => unknown> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** PostgreSQL, started once for this file (tools/fleet/postgres.sh); each audit log gets its own database. */
const postgres = usePostgresForFile();

type Factory = (limit: number) => Promise<AsyncAuditLog>;

/** The same contract for the ring buffer, each SQLite driver that loads here, and PostgreSQL. */
const implementations: Array<[string, Factory]> = [
  ['memory', async (limit) => fromAuditLog(createMemoryAuditLog(limit))],
  ...availableSqliteDrivers().map((driver): [string, Factory] => [
    `SQLite (${driver})`,
    async (limit) => {
      const store: StateStore = openStateStore({ path: ':memory:', driver, retention: { auditRows: limit } });
      closers.push(() => store.close());
      return fromAuditLog(store.auditLog());
    },
  ]),
  ...(postgres.missing
    ? []
    : [
        [
          'PostgreSQL',
          async (limit: number) => {
            const url = await postgres.database('audit');
            const store = await openPgStateStore({ url, replicaId: 'test', retention: { auditRows: limit } });
            closers.push(() => store.close());
            return store.audit;
          },
        ] as [string, Factory],
      ]),
];

describe.each(implementations)('audit log: %s', (_name, createAuditTrail) => {
  it('lists newest first, a page at a time', async () => {
    const trail = await createAuditTrail(10);
    expect(await trail.list(5)).toEqual({ entries: [], nextCursor: null });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await trail.addAll([entry(id)]);
    expect(await trail.size()).toBe(5);
    expect(await allPages(trail, 2)).toEqual([['e', 'd'], ['c', 'b'], ['a']]);
    expect(await allPages(trail, 5)).toEqual([['e', 'd', 'c', 'b', 'a']]);
  });

  it('drops the oldest past its limit, by list and by id', async () => {
    const trail = await createAuditTrail(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await trail.addAll([entry(id)]);
    expect(await trail.size()).toBe(3);
    expect(ids((await trail.list(10)).entries)).toEqual(['e', 'd', 'c']);
    expect(await trail.get('a')).toBeUndefined();
    expect(await trail.get('b')).toBeUndefined();
    expect((await trail.get('c'))?.id).toBe('c');
    expect(await trail.addFeedback('a', { label: 'joy', correct: true, time: 't' })).toBe(false);
  });

  it('keeps later pages stable while entries arrive, and ends when the rest was dropped', async () => {
    const trail = await createAuditTrail(4);
    for (const id of ['a', 'b', 'c', 'd']) await trail.addAll([entry(id)]);
    const first = (await trail.list(2));
    expect(ids(first.entries)).toEqual(['d', 'c']);
    await trail.addAll([entry('e')]); // drops a
    const second = (await trail.list(2, first.nextCursor ?? undefined));
    expect(ids(second.entries)).toEqual(['b']);
    expect(second.nextCursor).toBeNull();
    // A cursor past everything held gives an empty last page.
    for (const id of ['f', 'g', 'h', 'i']) await trail.addAll([entry(id)]);
    expect(await trail.list(2, first.nextCursor ?? undefined)).toEqual({ entries: [], nextCursor: null });
  });

  it('attaches feedback in place', async () => {
    const trail = await createAuditTrail(2);
    await trail.addAll([entry('a')]);
    expect(await trail.addFeedback('a', { label: 'anger', correct: false, time: 't' })).toBe(true);
    expect((await trail.get('a'))?.feedback).toEqual({ label: 'anger', correct: false, time: 't' });
    expect((await trail.list(1)).entries[0].feedback?.label).toBe('anger');
  });

  it('keeps feedback append-only: a correction is a new event, the entry shows the latest', async () => {
    const trail = await createAuditTrail(3);
    await trail.addAll([entry('a')]);
    await trail.addAll([entry('b')]);
    expect(await trail.feedbackHistory('a')).toEqual([]);
    await trail.addFeedback('a', { label: 'anger', correct: false, time: 't1' });
    await trail.addFeedback('a', { label: 'joy', correct: true, time: 't2' });
    expect((await trail.get('a'))?.feedback).toEqual({ label: 'joy', correct: true, time: 't2' });
    expect(await trail.feedbackHistory('a')).toEqual([
      { label: 'anger', correct: false, time: 't1' },
      { label: 'joy', correct: true, time: 't2' },
    ]);
    expect(await trail.feedbackHistory('b')).toEqual([]);
    expect(await trail.feedbackHistory('nope')).toEqual([]);
    // Filters look at the latest feedback only.
    expect(ids((await trail.list(10, undefined, { correct: true })).entries)).toEqual(['a']);
    expect(ids((await trail.list(10, undefined, { correct: false })).entries)).toEqual([]);
    expect(ids((await trail.list(10, undefined, { feedback: true })).entries)).toEqual(['a']);
    expect(ids((await trail.list(10, undefined, { feedback: false })).entries)).toEqual(['b']);
    // Its history leaves with the entry.
    for (const id of ['c', 'd', 'e']) await trail.addAll([entry(id)]);
    expect(await trail.get('a')).toBeUndefined();
    expect(await trail.feedbackHistory('a')).toEqual([]);
  });

  it('takes feedback only through addFeedback', async () => {
    const trail = await createAuditTrail(2);
    await trail.addAll([{ ...entry('a'), feedback: { label: 'anger', correct: false, time: 't' } }]);
    expect((await trail.get('a'))?.feedback).toBeNull();
    expect(await trail.feedbackHistory('a')).toEqual([]);
  });

  it('filters by label, abstention, feedback, correctness and time, with exact cursors', async () => {
    const trail = await createAuditTrail(20);
    // a..h at one-minute steps: anger on even letters, abstentions on every third.
    const letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await trail.addAll(
      letters.map((id, i) => ({
        ...entry(id),
        time: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        label: i % 2 === 0 ? 'anger' : 'joy',
        abstained: i % 3 === 0,
      })),
    );
    await trail.addFeedback('c', { label: 'anger', correct: true, time: 't' });
    await trail.addFeedback('d', { label: 'anger', correct: false, time: 't' });
    await trail.addFeedback('e', { label: 'joy', correct: false, time: 't' });

    const all = async (filter: Parameters<AsyncAuditLog['list']>[2], size = 2): Promise<string[]> => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = (await trail.list(size, cursor, filter));
        seen.push(...ids(page.entries));
        if (page.nextCursor === null) return seen;
        expect(page.entries).toHaveLength(size); // a cursor only after a full page
        cursor = page.nextCursor;
      }
      throw new Error('too many pages');
    };
    expect(await all({ label: 'anger' })).toEqual(['g', 'e', 'c', 'a']);
    expect(await all({ label: 'anger' }, 4)).toEqual(['g', 'e', 'c', 'a']);
    expect((await trail.list(4, undefined, { label: 'anger' })).nextCursor).toBeNull(); // nothing older matches
    expect(await all({ abstained: true })).toEqual(['g', 'd', 'a']);
    expect(await all({ label: 'joy', abstained: false })).toEqual(['h', 'f', 'b']);
    expect(await all({ feedback: true })).toEqual(['e', 'd', 'c']);
    expect(await all({ feedback: false })).toEqual(['h', 'g', 'f', 'b', 'a']);
    expect(await all({ correct: false })).toEqual(['e', 'd']);
    expect(await all({ correct: true, label: 'anger' })).toEqual(['c']);
    const minute = (m: number) => Date.UTC(2026, 0, 1, 0, m);
    expect(await all({ sinceMs: minute(5) })).toEqual(['h', 'g', 'f']);
    expect(await all({ untilMs: minute(2) })).toEqual(['b', 'a']);
    expect(await all({ sinceMs: minute(2), untilMs: minute(5), label: 'anger' })).toEqual(['e', 'c']);
    expect(await all({ label: 'fear' })).toEqual([]);
  });

  it('refuses malformed cursors; a limit of 0 keeps nothing', async () => {
    const trail = await createAuditTrail(2);
    for (const cursor of ['', 'abc', '-1', '1.5', '01']) await expect(trail.list(1, cursor)).rejects.toThrow(/cursor/);
    const none = await createAuditTrail(0);
    await none.addAll([entry('a')]);
    expect(await none.size()).toBe(0);
    expect(await none.get('a')).toBeUndefined();
    expect(await none.list(10)).toEqual({ entries: [], nextCursor: null });
    await expect(createAuditTrail(-1)).rejects.toThrow();
  });
});
