import { ApiError } from './api-errors.js';
import type { ApiMeter, LogSink } from './api-options.js';

/** OpenTelemetry names of the state-write instruments (Prometheus: `_total` on the counter, dots as underscores). */
export const STATE_WRITE_METRICS = Object.freeze({
  /** glassbox_state_write_failures_total */
  failures: 'glassbox.state.write_failures',
  /** glassbox_state_writes_failing: 1 while state writes fail (the server is unready), else 0. */
  failing: 'glassbox.state.writes_failing',
});

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
 * Whether the server's state takes writes. A write a response depends on (an audit row, feedback,
 * a calibration version) goes through `run`: when it fails, the request fails with 503
 * AUDIT_WRITE_FAILED (Retry-After) instead of acknowledging what was not stored. The first
 * failure starts a condition (one log line "state writes failing: <reason>", /ready answers 503);
 * it ends (one log line "state writes recovered after N failures") at the first successful probe
 * write, tried by `check()` (each /ready) and after any write that succeeds meanwhile. Nothing is
 * logged per request.
 */
export interface StateWrites {
  /** True from a failed write until a probe write succeeds. */
  readonly failing: boolean;
  /** Failed writes since start. */
  readonly failures: number;
  /** Runs a write a response depends on; a failure is recorded and rethrown as AUDIT_WRITE_FAILED. */
  run<T>(fn: () => T): T;
  /** Records the outcome of a write no response waits on (the drift window): null for success. */
  record(error: unknown): void;
  /** Whether writes work now; while they fail, tries the probe first (so /ready recovers by itself). */
  check(): boolean;
  /** The error a refused request gets while writes fail. */
  refusal(): ApiError;
}

function reason(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message.split('\n')[0];
}

export function createStateWrites(options: StateWritesOptions): StateWrites {
  const retryAfter = String(options.retryAfterSeconds ?? STATE_WRITE_RETRY_AFTER_SECONDS);
  let failing = false;
  let failures = 0;
  let failuresNow = 0;

  const line = (level: string, event: string, msg: string, extra: Record<string, unknown> = {}) => {
    try {
      options.log.write(`${JSON.stringify({ level, event, msg, ...extra })}\n`);
    } catch {
      // A broken log must not turn a refused write into a crash.
    }
  };
  const failed = (error: unknown) => {
    failures++;
    failuresNow++;
    if (failing) return;
    failing = true;
    line('error', 'glassbox.state.writes_failing', `state writes failing: ${reason(error)}`);
  };
  /**
   * Ends the condition once a probe write (which needs free pages, unlike a short row that may
   * still fit) succeeds: a nearly full disk would otherwise flap between failing and recovered.
   */
  const succeeded = () => {
    if (!failing) return;
    if (options.probe) {
      try {
        options.probe();
      } catch {
        return; // still failing: counted once, by the write that started the condition
      }
    }
    failing = false;
    line('info', 'glassbox.state.writes_recovered', `state writes recovered after ${failuresNow} failures`, { failures: failuresNow });
    failuresNow = 0;
  };
  const refusal = () =>
    new ApiError(
      'AUDIT_WRITE_FAILED',
      `the server cannot store its audit trail now (state writes are failing), so nothing was acknowledged; retry in ${retryAfter} s or on another replica`,
      { 'Retry-After': retryAfter },
    );

  return {
    get failing() {
      return failing;
    },
    get failures() {
      return failures;
    },
    run(fn) {
      let result;
      try {
        result = fn();
      } catch (error) {
        failed(error);
        throw refusal();
      }
      succeeded();
      return result;
    },
    record(error) {
      if (error === null || error === undefined) succeeded();
      else failed(error);
    },
    check() {
      succeeded();
      return !failing;
    },
    refusal,
  };
}

/**
 * The failure counter and the failing gauge, read from `writes` at each collection (so they
 * cost nothing on the request path). Instrument failures go to `onError`.
 */
export function observeStateWrites(meter: ApiMeter, writes: StateWrites, onError: (error: unknown) => void): void {
  try {
    meter
      .createObservableCounter(STATE_WRITE_METRICS.failures, { description: 'State writes (audit rows, feedback, calibration versions, drift window) that failed.', unit: '{write}' })
      .addCallback((result) => result.observe(writes.failures));
    meter
      .createObservableGauge(STATE_WRITE_METRICS.failing, { description: '1 while state writes fail (the server answers /ready with 503), else 0.' })
      .addCallback((result) => result.observe(writes.failing ? 1 : 0));
  } catch (error) {
    onError(error);
  }
}
