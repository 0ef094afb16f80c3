import { ApiError } from './api-errors.js';

export interface AdmissionGateOptions {
  /** Holders at once. */
  concurrency: number;
  /** Callers waiting for a turn; one more is refused with 503 OVERLOADED. */
  maxWaiting: number;
  /** What the gate guards, for messages ("explanations"). */
  what: string;
}

export interface AdmissionGateStats {
  running: number;
  waiting: number;
  /** Callers refused because the gate was full. */
  shed: number;
  /** Waiting callers whose signal aborted (client gone) before their turn. */
  dropped: number;
  concurrency: number;
  maxWaiting: number;
}

/** A semaphore with a bounded waiting room: work beyond it is refused at once, not queued. */
export interface AdmissionGate {
  /**
   * Resolves with a release function once it is the caller's turn; rejects at once with
   * OVERLOADED (and Retry-After) when the waiting room is full, or with CLIENT_CLOSED when
   * `signal` aborts while waiting. Call release exactly once (later calls do nothing).
   */
  acquire(signal?: AbortSignal): Promise<() => void>;
  stats(): AdmissionGateStats;
}

export function createAdmissionGate(options: AdmissionGateOptions): AdmissionGate {
  const { concurrency, maxWaiting, what } = options;
  const waiters: Array<{ grant: () => void; abort: () => void }> = [];
  let running = 0;
  let shed = 0;
  let dropped = 0;
  /** Mean time a holder keeps its turn (exponentially weighted), for Retry-After; null before the first. */
  let holdMs: number | null = null;

  function release(): () => void {
    let done = false;
    const granted = Date.now();
    return () => {
      if (done) return;
      done = true;
      const ms = Date.now() - granted;
      holdMs = holdMs === null ? ms : 0.8 * holdMs + 0.2 * ms;
      running--;
      const next = waiters.shift();
      if (next) next.grant();
    };
  }

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(closed(what));
      if (running < concurrency) {
        running++;
        return Promise.resolve(release());
      }
      if (waiters.length >= maxWaiting) {
        shed++;
        const seconds = String(Math.min(600, Math.max(1, Math.ceil((((waiters.length + 1) / concurrency) * (holdMs ?? 1000)) / 1000))));
        return Promise.reject(
          new ApiError('OVERLOADED', `the server is busy with ${running} ${what} and ${waiters.length} waiting; retry in ${seconds} s`, { 'Retry-After': seconds }),
        );
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const i = waiters.indexOf(waiter);
          if (i < 0) return;
          waiters.splice(i, 1);
          dropped++;
          reject(closed(what));
        };
        const waiter = {
          grant() {
            signal?.removeEventListener('abort', onAbort);
            running++;
            resolve(release());
          },
          abort: onAbort,
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    stats: () => ({ running, waiting: waiters.length, shed, dropped, concurrency, maxWaiting }),
  };
}

function closed(what: string): ApiError {
  return new ApiError('CLIENT_CLOSED', `the client closed the connection while waiting among ${what}`);
}
