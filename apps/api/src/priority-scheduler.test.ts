import { describe, expect, it } from 'vitest';
import { createPriorityScheduler, type DispatchEvent, type Lane } from './priority-scheduler.js';

/** A job that runs until released, recording its name when it starts. */
function jobs() {
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const job = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name);
      releases.set(name, () => resolve(name));
    });
  const release = async (name: string) => {
    releases.get(name)?.();
    // Let the scheduler hand the slot on.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, job, release };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code ?? String(e));

describe('createPriorityScheduler', () => {
  it('dispatches a waiting prediction before explanation chunks that waited longer', async () => {
    const events: DispatchEvent[] = [];
    const scheduler = createPriorityScheduler({ concurrency: 1, onDispatch: (e) => events.push(e) });
    const { started, job, release } = jobs();
    const results: Array<Promise<string>> = [];
    const run = (lane: Lane, name: string) => results.push(scheduler.run(lane, job(name)));
    run('explain', 'e1');
    run('explain', 'e2');
    run('explain', 'e3');
    run('predict', 'p1');
    run('predict', 'p2');
    expect(started).toEqual(['e1']);
    await release('e1');
    expect(started).toEqual(['e1', 'p1']);
    await release('p1');
    await release('p2');
    run('predict', 'p3'); // arrives while e2 runs
    await release('e2');
    await release('p3');
    await release('e3');
    await Promise.all(results);
    expect(started).toEqual(['e1', 'p1', 'p2', 'e2', 'p3', 'e3']);
    // No explanation was dispatched while a prediction waited; predictions overtook waiting chunks.
    expect(events.filter((e) => e.lane === 'explain').every((e) => e.waiting.predict === 0)).toBe(true);
    expect(scheduler.stats()).toMatchObject({
      predict: { waiting: 0, running: 0, dispatched: 3 },
      explain: { waiting: 0, running: 0, dispatched: 3 },
      predictionsAhead: 3,
      explanationsAhead: 0,
    });
  });

  it('runs up to `concurrency` jobs at once and passes results and errors through', async () => {
    const scheduler = createPriorityScheduler({ concurrency: 2 });
    const { started, job, release } = jobs();
    const a = scheduler.run('explain', job('a'));
    const b = scheduler.run('explain', job('b'));
    const c = scheduler.run('predict', job('c'));
    expect(started).toEqual(['a', 'b']);
    expect(scheduler.stats()).toMatchObject({ explain: { running: 2 }, predict: { waiting: 1 } });
    await release('b');
    expect(started).toEqual(['a', 'b', 'c']);
    await release('a');
    await release('c');
    expect(await Promise.all([a, b, c])).toEqual(['a', 'b', 'c']);
    await expect(scheduler.run('predict', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(scheduler.run('predict', () => { throw new Error('sync boom'); })).rejects.toThrow('sync boom');
    expect(scheduler.stats().predict.running).toBe(0);
  });

  it('drops a waiting job whose signal aborts: it never runs', async () => {
    const scheduler = createPriorityScheduler({ concurrency: 1 });
    const { started, job, release } = jobs();
    const first = scheduler.run('predict', job('first'));
    const gone = new AbortController();
    const dropped = scheduler.run('explain', job('dropped'), gone.signal);
    gone.abort();
    expect(await codeOf(dropped)).toBe('CLIENT_CLOSED');
    expect(await codeOf(scheduler.run('explain', job('late'), gone.signal))).toBe('CLIENT_CLOSED');
    await release('first');
    await first;
    expect(started).toEqual(['first']);
    expect(scheduler.stats()).toMatchObject({ explain: { waiting: 0, dispatched: 0 } });
  });

  it('rejects a bad concurrency', () => {
    expect(() => createPriorityScheduler({ concurrency: 0 })).toThrow(/concurrency/);
  });
});
