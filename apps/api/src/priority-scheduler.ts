import { GlassboxError } from '@glassbox/core';
import { ApiError } from './api-errors.js';

/** The two kinds of model work: predictions always go first. */
export type Lane = 'predict' | 'explain';

export interface PrioritySchedulerOptions {
  /** Jobs on the model at once (the server uses its worker count, at least 1). */
  concurrency: number;
  /** Sees every dispatch, in order (tests record the order); must not throw. */
  onDispatch?: (event: DispatchEvent) => void;
}

export interface DispatchEvent {
  lane: Lane;
  /** Jobs still waiting in each lane right after this one was dispatched. */
  waiting: Record<Lane, number>;
}

export interface LaneStats {
  /** Jobs waiting for the model now. */
  waiting: number;
  /** Jobs on the model now. */
  running: number;
  /** Jobs dispatched so far. */
  dispatched: number;
}

export interface PrioritySchedulerStats {
  concurrency: number;
  predict: LaneStats;
  explain: LaneStats;
  /** Prediction jobs dispatched while explanation jobs were waiting: how often predictions went ahead. */
  predictionsAhead: number;
  /** Explanation jobs dispatched while a prediction job was waiting: 0 unless the priority is broken. */
  explanationsAhead: number;
}

/**
 * Puts the model's work in two lanes. At most `concurrency` jobs run at once; when a slot frees,
 * a waiting prediction job always goes before any explanation job. Explanations hand their work
 * over in bounded chunks (one forward pass each), so a prediction waits at most for the chunks
 * already running.
 */
export interface PriorityScheduler {
  /**
   * Runs `job` when a slot is free and no job of a higher lane waits. A job whose `signal`
   * aborts while it waits is dropped with CLIENT_CLOSED and never runs.
   */
  run<T>(lane: Lane, job: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  stats(): PrioritySchedulerStats;
}

interface Waiting {
  start(): void;
  cancel(): void;
}

export function createPriorityScheduler(options: PrioritySchedulerOptions): PriorityScheduler {
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new GlassboxError('INVALID_OPTION', `scheduler concurrency must be an integer >= 1, got ${concurrency}`);
  const queues: Record<Lane, Waiting[]> = { predict: [], explain: [] };
  const lanes: Record<Lane, LaneStats> = {
    predict: { waiting: 0, running: 0, dispatched: 0 },
    explain: { waiting: 0, running: 0, dispatched: 0 },
  };
  let running = 0;
  let predictionsAhead = 0;
  let explanationsAhead = 0;

  function next(): void {
    while (running < concurrency) {
      const lane: Lane | null = queues.predict.length > 0 ? 'predict' : queues.explain.length > 0 ? 'explain' : null;
      if (lane === null) return;
      const item = queues[lane].shift() as Waiting;
      lanes[lane].waiting--;
      if (lane === 'predict' && queues.explain.length > 0) predictionsAhead++;
      if (lane === 'explain' && queues.predict.length > 0) explanationsAhead++;
      try {
        options.onDispatch?.({ lane, waiting: { predict: queues.predict.length, explain: queues.explain.length } });
      } catch {
        // an observer never stops the model
      }
      item.start();
    }
  }

  return {
    run<T>(lane: Lane, job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(clientClosed());
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => item.cancel();
        const item: Waiting = {
          start() {
            signal?.removeEventListener('abort', onAbort);
            running++;
            lanes[lane].running++;
            lanes[lane].dispatched++;
            let result: Promise<T>;
            try {
              result = job();
            } catch (error) {
              result = Promise.reject(error);
            }
            result.then(resolve, reject).finally(() => {
              running--;
              lanes[lane].running--;
              next();
            });
          },
          cancel() {
            const i = queues[lane].indexOf(item);
            if (i < 0) return;
            queues[lane].splice(i, 1);
            lanes[lane].waiting--;
            reject(clientClosed());
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queues[lane].push(item);
        lanes[lane].waiting++;
        next();
      });
    },
    stats: () => ({
      concurrency,
      predict: { ...lanes.predict },
      explain: { ...lanes.explain },
      predictionsAhead,
      explanationsAhead,
    }),
  };
}

function clientClosed(): ApiError {
  return new ApiError('CLIENT_CLOSED', 'the client closed the connection; its queued model work was dropped');
}
