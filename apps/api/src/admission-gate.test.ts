import { describe, expect, it } from 'vitest';
import { ApiError } from './api-errors.js';
import { createAdmissionGate } from './admission-gate.js';

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code ?? String(e));

describe('createAdmissionGate', () => {
  it('lets `concurrency` in, queues up to maxWaiting in order, refuses the next with OVERLOADED and Retry-After', async () => {
    const gate = createAdmissionGate({ concurrency: 1, maxWaiting: 2, what: 'explanations' });
    const order: string[] = [];
    const first = await gate.acquire();
    const second = gate.acquire().then((release) => (order.push('second'), release));
    const third = gate.acquire().then((release) => (order.push('third'), release));
    const refused = gate.acquire();
    const error = (await refused.catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('OVERLOADED');
    expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(gate.stats()).toMatchObject({ running: 1, waiting: 2, shed: 1 });
    first();
    first(); // a second release does nothing
    (await second)();
    (await third)();
    expect(order).toEqual(['second', 'third']);
    expect(gate.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('drops a waiting caller whose signal aborts, and one whose signal already did', async () => {
    const gate = createAdmissionGate({ concurrency: 1, maxWaiting: 1, what: 'explanations' });
    const holder = await gate.acquire();
    const gone = new AbortController();
    const waiting = gate.acquire(gone.signal);
    gone.abort();
    expect(await codeOf(waiting)).toBe('CLIENT_CLOSED');
    expect(await codeOf(gate.acquire(gone.signal))).toBe('CLIENT_CLOSED');
    expect(gate.stats()).toMatchObject({ waiting: 0, dropped: 1 });
    holder();
    expect(gate.stats().running).toBe(0);
  });
});
