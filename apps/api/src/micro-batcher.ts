import { performance } from 'node:perf_hooks';
import { GlassboxError } from '@glassbox/core';
import { ApiError } from './api-errors.js';

export interface MicroBatcherOptions<I, O> {
  /** Processes one merged batch; must return one result per item, in order. */
  process(items: readonly I[]): Promise<readonly O[]>;
  /** Most items per `process` call; a batch is sent as soon as this many are waiting. */
  maxBatchSize: number;
  /**
   * Longest wait, counted from the first waiting item, before a partial batch is sent. 0 sends
   * it once the event loop has taken in what already arrived (`setImmediate`), without the
   * 1 ms floor a 0 ms timer would add to every idle request.
   */
  maxWaitMs: number;
  /**
   * Batches in flight at once (default 1). While all are busy, new items keep queueing, so
   * batches grow with load.
   */
  maxConcurrency?: number;
  /**
   * Most items waiting for a batch (default: unbounded). A `submit` that would queue more is
   * refused at once with 503 OVERLOADED (and Retry-After); items already in flight do not count.
   */
  maxQueued?: number;
  /** Most total cost (see `submit`'s `costs`; tokens, in the server) waiting for a batch (default: unbounded). */
  maxQueuedCost?: number;
  /**
   * Whether a failed merged batch is retried caller by caller to find whose items failed
   * (default: always). Errors it answers false for fail every caller of the batch at once.
   */
  isolateFailures?: (error: unknown) => boolean;
}

export interface SubmitOptions {
  /** Cost of each item (e.g. its tokens), counted against `maxQueuedCost`; 0 each when absent. */
  costs?: readonly number[];
  /**
   * When it aborts (the client went away), the caller's items still waiting are taken out of the
   * queue and never reach `process`, and the promise rejects with CLIENT_CLOSED. Items already
   * in a running batch finish; their results are dropped.
   */
  signal?: AbortSignal;
  /** Filled in when the call resolves: how long its items queued and how long their batch took. */
  timing?: BatchTiming;
}

/** Where a resolved call's time went (its last batch, when its items spanned several). */
export interface BatchTiming {
  /** Milliseconds from `submit` until the batch holding its last items went to `process`. */
  queueMs: number;
  /** Milliseconds that batch's `process` call took. */
  processMs: number;
  /** Items in that batch, other callers' included. */
  batchSize: number;
}

export interface MicroBatcherStats {
  /** `submit` calls so far. */
  submitted: number;
  /** Items submitted so far. */
  items: number;
  /** `process` calls so far (retries after a failed merged batch included). */
  batches: number;
  /** Largest batch sent so far. */
  largestBatch: number;
  /** Items waiting for a batch now. */
  queued: number;
  /** Cost (tokens, in the server) of the items waiting now. */
  queuedCost: number;
  /** Batches being processed now. */
  inFlight: number;
  /** Items handed to `process` (first attempts; retries of a failed merged batch not counted again). */
  processed: number;
  /**
   * Items taken out of the queue before they reached `process`: their caller aborted (client
   * gone) or already failed. Once idle, `items === processed + dropped`.
   */
  dropped: number;
  /** `submit` calls refused because the queue was full (503 OVERLOADED); not counted in `submitted`. */
  shed: number;
  /** The queue bounds (null: unbounded). */
  maxQueued: number | null;
  maxQueuedCost: number | null;
}

/** Merges concurrent callers' items into batches and routes each result back to its caller. */
export interface MicroBatcher<I, O> {
  /**
   * Resolves with one result per item, in order. Rejects when a batch with these items fails,
   * with OVERLOADED (at once) when the queue has no room for them, and with CLIENT_CLOSED when
   * `signal` aborts first.
   */
  submit(items: readonly I[], options?: SubmitOptions): Promise<O[]>;
  /** Whether `items` items of total `cost` would be admitted now (a cheap check before pricing them). */
  hasRoom(items: number, cost?: number): boolean;
  stats(): MicroBatcherStats;
  /**
   * From now on sends items at once instead of waiting for company (still accepting them), and
   * resolves when nothing is queued or running. For shutting down without holding requests back.
   */
  drain(): Promise<void>;
  /** Sends what is waiting at once, waits for every batch, then refuses new items. Idempotent. */
  close(): Promise<void>;
}

interface Caller<O> {
  results: O[];
  submittedAt: number;
  timing: BatchTiming | null;
  signal: AbortSignal | null;
  onAbort: (() => void) | null;
  remaining: number;
  settled: boolean;
  resolve(results: O[]): void;
  reject(error: unknown): void;
}

/** A run of one caller's items: `items` go to `results[offset...]`. */
interface Segment<I, O> {
  caller: Caller<O>;
  items: readonly I[];
  costs: readonly number[];
  offset: number;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function clientClosed(): ApiError {
  return new ApiError('CLIENT_CLOSED', 'the client closed the connection before the answer was ready; its queued work was dropped');
}

function checkOption(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min || (name !== 'maxWaitMs' && !Number.isInteger(value))) {
    throw new GlassboxError('INVALID_OPTION', `micro-batcher ${name} must be ${name === 'maxWaitMs' ? 'a number' : 'an integer'} >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * A micro-batcher: items wait until `maxBatchSize` of them are queued or `maxWaitMs` has passed
 * since the first one arrived, then go to `process` together. A caller's items may span several
 * batches. When a merged batch fails, each caller's items are retried on their own, so a bad
 * request fails alone and the others still get results.
 */
export function createMicroBatcher<I, O>(options: MicroBatcherOptions<I, O>): MicroBatcher<I, O> {
  const maxBatchSize = checkOption('maxBatchSize', options.maxBatchSize, 1);
  const maxWaitMs = checkOption('maxWaitMs', options.maxWaitMs, 0);
  const maxConcurrency = checkOption('maxConcurrency', options.maxConcurrency ?? 1, 1);
  const maxQueued = options.maxQueued === undefined ? Infinity : checkOption('maxQueued', options.maxQueued, 1);
  const maxQueuedCost = options.maxQueuedCost === undefined ? Infinity : checkOption('maxQueuedCost', options.maxQueuedCost, 1);
  const isolate = options.isolateFailures ?? (() => true);
  let queue: Array<Segment<I, O>> = [];
  const counters = { submitted: 0, items: 0, batches: 0, largestBatch: 0, processed: 0, dropped: 0, shed: 0 };
  let queued = 0;
  let queuedCost = 0;
  /** Mean batch duration (exponentially weighted), for Retry-After; null before the first batch. */
  let batchMs: number | null = null;
  let inFlight = 0;
  /** Cancels the armed wait (a timer, or an immediate when maxWaitMs is 0); null when none is armed. */
  let timer: (() => void) | null = null;
  let closing = false;
  let eager = false;
  let closed: Promise<void> | null = null;
  let idleWaiters: Array<() => void> = [];

  function clearTimer(): void {
    if (timer !== null) {
      timer();
      timer = null;
    }
  }

  /** Sends every batch that is due and may be sent now; arms the wait timer for the rest. */
  function pump(waited: boolean): void {
    while (queued > 0 && inFlight < maxConcurrency && (queued >= maxBatchSize || waited || eager)) dispatch();
    if (queued === 0) clearTimer();
    else if (timer === null && inFlight < maxConcurrency) {
      const due = () => {
        timer = null;
        pump(true);
      };
      if (maxWaitMs === 0) {
        const immediate = setImmediate(due);
        timer = () => clearImmediate(immediate);
      } else {
        const timeout = setTimeout(due, maxWaitMs);
        timer = () => clearTimeout(timeout);
      }
    }
    if (queued === 0 && inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function takeBatch(): Array<Segment<I, O>> {
    const batch: Array<Segment<I, O>> = [];
    let size = 0;
    while (queue.length > 0 && size < maxBatchSize) {
      const head = queue[0];
      const room = maxBatchSize - size;
      if (head.items.length <= room) {
        queue.shift();
        batch.push(head);
        size += head.items.length;
        queuedCost -= sum(head.costs);
      } else {
        const first = { caller: head.caller, items: head.items.slice(0, room), costs: head.costs.slice(0, room), offset: head.offset };
        batch.push(first);
        queue[0] = { caller: head.caller, items: head.items.slice(room), costs: head.costs.slice(room), offset: head.offset + room };
        size += room;
        queuedCost -= sum(first.costs);
      }
      queued -= Math.min(head.items.length, room);
    }
    counters.processed += size;
    return batch;
  }

  /** Takes a settled caller's waiting items out of the queue; they never reach `process`. */
  function removeQueued(caller: Caller<O>): void {
    if (!queue.some((s) => s.caller === caller)) return;
    queue = queue.filter((s) => {
      if (s.caller !== caller) return true;
      queued -= s.items.length;
      queuedCost -= sum(s.costs);
      counters.dropped += s.items.length;
      return false;
    });
    pump(false);
  }

  function retryAfterSeconds(): number {
    const perBatch = batchMs ?? 1000;
    return Math.min(60, Math.max(1, Math.ceil(((queued / maxBatchSize + 1) * perBatch) / maxConcurrency / 1000)));
  }

  /** What one `process` call returned, with when it started and how long it took. */
  interface Ran {
    results: readonly O[];
    startedAt: number;
    ms: number;
    size: number;
  }

  async function run(items: readonly I[]): Promise<Ran> {
    counters.batches++;
    counters.largestBatch = Math.max(counters.largestBatch, items.length);
    const startedAt = performance.now();
    const results = await options.process(items);
    const ms = performance.now() - startedAt;
    batchMs = batchMs === null ? ms : 0.8 * batchMs + 0.2 * ms;
    if (!Array.isArray(results) || results.length !== items.length) {
      throw new GlassboxError('INFERENCE_FAILED', `a batch of ${items.length} items returned ${Array.isArray(results) ? results.length : 'no'} results`);
    }
    return { results, startedAt, ms, size: items.length };
  }

  function deliver(segment: Segment<I, O>, ran: Ran, from: number): void {
    const { caller } = segment;
    if (caller.settled) return;
    for (let j = 0; j < segment.items.length; j++) caller.results[segment.offset + j] = ran.results[from + j];
    caller.remaining -= segment.items.length;
    if (caller.remaining === 0) {
      settle(caller);
      caller.timing = { queueMs: Math.max(0, ran.startedAt - caller.submittedAt), processMs: ran.ms, batchSize: ran.size };
      caller.resolve(caller.results);
    }
  }

  function settle(caller: Caller<O>): void {
    caller.settled = true;
    if (caller.onAbort) caller.signal?.removeEventListener('abort', caller.onAbort);
    caller.onAbort = null;
  }

  function fail(caller: Caller<O>, error: unknown): void {
    if (caller.settled) return;
    settle(caller);
    removeQueued(caller);
    caller.reject(error);
  }

  async function processBatch(batch: Array<Segment<I, O>>): Promise<void> {
    const items = batch.flatMap((s) => s.items);
    try {
      const ran = await run(items);
      let from = 0;
      for (const segment of batch) {
        deliver(segment, ran, from);
        from += segment.items.length;
      }
    } catch (error) {
      const callers = new Set(batch.map((s) => s.caller));
      if (callers.size === 1 || !isolate(error)) {
        for (const caller of callers) fail(caller, error);
        return;
      }
      // Find whose items failed: each caller's part of the batch on its own.
      for (const caller of callers) {
        if (caller.settled) continue;
        const own = batch.filter((s) => s.caller === caller);
        try {
          const ran = await run(own.flatMap((s) => s.items));
          let from = 0;
          for (const segment of own) {
            deliver(segment, ran, from);
            from += segment.items.length;
          }
        } catch (callerError) {
          fail(caller, callerError);
        }
      }
    }
  }

  function dispatch(): void {
    const batch = takeBatch();
    if (batch.length === 0) return;
    inFlight++;
    void processBatch(batch).finally(() => {
      inFlight--;
      // Items that queued while this batch ran have waited already: send them now.
      pump(true);
    });
  }

  function drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      eager = true;
      clearTimer();
      idleWaiters.push(resolve);
      pump(true);
    });
  }

  return {
    submit(items, submitOptions = {}) {
      if (closing) {
        return Promise.reject(new GlassboxError('ENGINE_DISPOSED', 'the server is shutting down and takes no new work'));
      }
      const costs = submitOptions.costs ? [...submitOptions.costs] : new Array<number>(items.length).fill(0);
      if (costs.length !== items.length) {
        return Promise.reject(new GlassboxError('INVALID_INPUT', `${costs.length} costs for ${items.length} items`));
      }
      const cost = sum(costs);
      if (queued + items.length > maxQueued || queuedCost + cost > maxQueuedCost) {
        counters.shed++;
        const seconds = String(retryAfterSeconds());
        const what =
          queued + items.length > maxQueued
            ? `${queued} texts are queued and this request adds ${items.length} (limit ${maxQueued})`
            : `${queuedCost} tokens are queued and this request adds ${cost} (limit ${maxQueuedCost})`;
        return Promise.reject(new ApiError('OVERLOADED', `the server is overloaded: ${what}; retry in ${seconds} s`, { 'Retry-After': seconds }));
      }
      const signal = submitOptions.signal ?? null;
      counters.submitted++;
      counters.items += items.length;
      if (signal?.aborted) {
        counters.dropped += items.length;
        return Promise.reject(clientClosed());
      }
      if (items.length === 0) return Promise.resolve([]);
      const timing = submitOptions.timing;
      return new Promise<O[]>((resolve, reject) => {
        const caller: Caller<O> = {
          results: new Array<O>(items.length),
          submittedAt: performance.now(),
          timing: null,
          remaining: items.length,
          settled: false,
          signal,
          onAbort: null,
          resolve: (results) => {
            if (timing && caller.timing) Object.assign(timing, caller.timing);
            resolve(results);
          },
          reject,
        };
        if (signal) {
          caller.onAbort = () => fail(caller, clientClosed());
          signal.addEventListener('abort', caller.onAbort, { once: true });
        }
        queue.push({ caller, items: [...items], costs, offset: 0 });
        queued += items.length;
        queuedCost += cost;
        pump(false);
      });
    },
    hasRoom: (items, cost = 0) => queued + items <= maxQueued && queuedCost + cost <= maxQueuedCost,
    stats() {
      return {
        ...counters,
        queued,
        queuedCost,
        inFlight,
        maxQueued: Number.isFinite(maxQueued) ? maxQueued : null,
        maxQueuedCost: Number.isFinite(maxQueuedCost) ? maxQueuedCost : null,
      };
    },
    drain,
    close() {
      closing = true;
      closed ??= drain();
      return closed;
    },
  };
}
