import { GlassboxError } from '@glassbox/core';

export interface MicroBatcherOptions<I, O> {
  /** Processes one merged batch; must return one result per item, in order. */
  process(items: readonly I[]): Promise<readonly O[]>;
  /** Most items per `process` call; a batch is sent as soon as this many are waiting. */
  maxBatchSize: number;
  /** Longest wait, counted from the first waiting item, before a partial batch is sent. */
  maxWaitMs: number;
  /**
   * Batches in flight at once (default 1). While all are busy, new items keep queueing, so
   * batches grow with load.
   */
  maxConcurrency?: number;
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
  /** Batches being processed now. */
  inFlight: number;
}

/** Merges concurrent callers' items into batches and routes each result back to its caller. */
export interface MicroBatcher<I, O> {
  /** Resolves with one result per item, in order; rejects only when a batch with these items fails. */
  submit(items: readonly I[]): Promise<O[]>;
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
  remaining: number;
  settled: boolean;
  resolve(results: O[]): void;
  reject(error: unknown): void;
}

/** A run of one caller's items: `items` go to `results[offset...]`. */
interface Segment<I, O> {
  caller: Caller<O>;
  items: readonly I[];
  offset: number;
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
  const queue: Array<Segment<I, O>> = [];
  const counters = { submitted: 0, items: 0, batches: 0, largestBatch: 0 };
  let queued = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | null = null;
  let closing = false;
  let eager = false;
  let closed: Promise<void> | null = null;
  let idleWaiters: Array<() => void> = [];

  function clearTimer(): void {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  }

  /** Sends every batch that is due and may be sent now; arms the wait timer for the rest. */
  function pump(waited: boolean): void {
    while (queued > 0 && inFlight < maxConcurrency && (queued >= maxBatchSize || waited || eager)) dispatch();
    if (queued === 0) clearTimer();
    else if (timer === null && inFlight < maxConcurrency) {
      timer = setTimeout(() => {
        timer = null;
        pump(true);
      }, maxWaitMs);
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
      if (head.caller.settled) {
        queue.shift();
        queued -= head.items.length;
        continue;
      }
      const room = maxBatchSize - size;
      if (head.items.length <= room) {
        queue.shift();
        batch.push(head);
        size += head.items.length;
      } else {
        batch.push({ caller: head.caller, items: head.items.slice(0, room), offset: head.offset });
        queue[0] = { caller: head.caller, items: head.items.slice(room), offset: head.offset + room };
        size += room;
      }
      queued -= Math.min(head.items.length, room);
    }
    return batch;
  }

  async function run(items: readonly I[]): Promise<readonly O[]> {
    counters.batches++;
    counters.largestBatch = Math.max(counters.largestBatch, items.length);
    const results = await options.process(items);
    if (!Array.isArray(results) || results.length !== items.length) {
      throw new GlassboxError('INFERENCE_FAILED', `a batch of ${items.length} items returned ${Array.isArray(results) ? results.length : 'no'} results`);
    }
    return results;
  }

  function deliver(segment: Segment<I, O>, results: readonly O[], from: number): void {
    const { caller } = segment;
    if (caller.settled) return;
    for (let j = 0; j < segment.items.length; j++) caller.results[segment.offset + j] = results[from + j];
    caller.remaining -= segment.items.length;
    if (caller.remaining === 0) {
      caller.settled = true;
      caller.resolve(caller.results);
    }
  }

  function fail(caller: Caller<O>, error: unknown): void {
    if (caller.settled) return;
    caller.settled = true;
    caller.reject(error);
  }

  async function processBatch(batch: Array<Segment<I, O>>): Promise<void> {
    const items = batch.flatMap((s) => s.items);
    try {
      const results = await run(items);
      let from = 0;
      for (const segment of batch) {
        deliver(segment, results, from);
        from += segment.items.length;
      }
    } catch (error) {
      const callers = new Set(batch.map((s) => s.caller));
      if (callers.size === 1) {
        for (const caller of callers) fail(caller, error);
        return;
      }
      // Find whose items failed: each caller's part of the batch on its own.
      for (const caller of callers) {
        const own = batch.filter((s) => s.caller === caller);
        try {
          const results = await run(own.flatMap((s) => s.items));
          let from = 0;
          for (const segment of own) {
            deliver(segment, results, from);
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
    submit(items) {
      if (closing) {
        return Promise.reject(new GlassboxError('ENGINE_DISPOSED', 'the server is shutting down and takes no new work'));
      }
      counters.submitted++;
      counters.items += items.length;
      if (items.length === 0) return Promise.resolve([]);
      return new Promise<O[]>((resolve, reject) => {
        const caller: Caller<O> = { results: new Array<O>(items.length), remaining: items.length, settled: false, resolve, reject };
        queue.push({ caller, items: [...items], offset: 0 });
        queued += items.length;
        pump(false);
      });
    },
    stats() {
      return { ...counters, queued, inFlight };
    },
    drain,
    close() {
      closing = true;
      closed ??= drain();
      return closed;
    },
  };
}
