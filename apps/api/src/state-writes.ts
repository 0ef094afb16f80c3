import { createStateWriteHealth, observeStateWriteHealth, STATE_WRITE_METRICS, type StateWriteHealth } from '@glassbox/monitor';
import { ApiError } from './api-errors.js';
import type { ApiMeter, LogSink } from './api-options.js';

export { STATE_WRITE_METRICS };

/** Seconds a client is told to wait before retrying a refused write (Retry-After). */
export const STATE_WRITE_RETRY_AFTER_SECONDS = 5;

export interface StateWritesOptions {
  /**
   * A small write that needs free space (StateStore.probe), tried by `check()` while writes fail,
   * so the server recovers with no traffic. Null when the state is in memory.
   */
  probe: (() => void) | null;
  /** Where the two lines per condition go (failing / recovered), one JSON object each. */
  log: LogSink;
  /** Retry-After of refused writes, in seconds (default 5). */
  retryAfterSeconds?: number;
}

/**
 * The state-write health of libs/monitor (createStateWriteHealth: one log line per condition,
 * probe-based recovery) seen from HTTP. A write a response depends on (an audit row, feedback, a
 * calibration version) goes through `run`: when it fails, the request fails with 503
 * AUDIT_WRITE_FAILED (Retry-After) instead of acknowledging what was not stored, and /ready
 * answers 503 until `check()` finds writes working again.
 */
export interface StateWrites extends Omit<StateWriteHealth, 'attempt'> {
  /** Runs a write a response depends on; a failure is recorded and rethrown as AUDIT_WRITE_FAILED. */
  run<T>(fn: () => T): T;
  /** `run` for a write that resolves once committed (the PostgreSQL store). */
  runAsync<T>(fn: () => Promise<T>): Promise<T>;
  /** The error a refused request gets while writes fail. */
  refusal(): ApiError;
}

export function createStateWrites(options: StateWritesOptions): StateWrites {
  const retryAfter = String(options.retryAfterSeconds ?? STATE_WRITE_RETRY_AFTER_SECONDS);
  const health = createStateWriteHealth(options);
  const refusal = () =>
    new ApiError(
      'AUDIT_WRITE_FAILED',
      `the server cannot store its audit trail now (state writes are failing), so nothing was acknowledged; retry in ${retryAfter} s or on another replica`,
      { 'Retry-After': retryAfter },
    );
  return {
    get failing() {
      return health.failing;
    },
    get failures() {
      return health.failures;
    },
    run(fn) {
      try {
        return health.attempt(fn);
      } catch {
        throw refusal();
      }
    },
    async runAsync(fn) {
      let result;
      try {
        result = await fn();
      } catch (error) {
        health.record(error);
        throw refusal();
      }
      health.record(null);
      return result;
    },
    record: health.record,
    check: health.check,
    refusal,
  };
}

/** The failure counter and the failing gauge (glassbox_state_write_failures_total, glassbox_state_writes_failing). */
export function observeStateWrites(meter: ApiMeter, writes: StateWrites, onError: (error: unknown) => void): void {
  observeStateWriteHealth(meter, writes, onError);
}
