import type { Meter } from '@opentelemetry/api';

/** OpenTelemetry names of the state-write instruments (Prometheus: `_total` on the counter, dots as underscores). */
export const STATE_WRITE_METRICS = Object.freeze({
  /** glassbox_state_write_failures_total */
  failures: 'glassbox.state.write_failures',
  /** glassbox_state_writes_failing: 1 while state writes fail (the server is unready), else 0. */
  failing: 'glassbox.state.writes_failing',
});

export interface StateWriteHealthOptions {
  /**
   * A small write that needs free space (StateStore.probe), tried by `check()` while writes fail,
   * so health comes back with no traffic. Null when the state is in memory.
   */
  probe: (() => void) | null;
  /** Where the two lines per condition go (failing / recovered), one JSON object each. */
  log: { write(line: string): unknown };
}

/**
 * Whether the state database takes writes. The first failed write starts a condition (one log
 * line "state writes failing: <reason>"); it ends (one line "state writes recovered after N
 * failures") at the first successful probe write, tried by `check()` and after any write that
 * succeeds meanwhile. Nothing is logged per write.
 */
export interface StateWriteHealth {
  /** True from a failed write until a probe write succeeds. */
  readonly failing: boolean;
  /** Failed writes since start. */
  readonly failures: number;
  /** Runs a write; a failure is recorded and rethrown as it came. */
  attempt<T>(fn: () => T): T;
  /** Records the outcome of a write made elsewhere: null for success. */
  record(error: unknown): void;
  /** Whether writes work now; while they fail, tries the probe first. */
  check(): boolean;
}

function reason(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message.split('\n')[0];
}

export function createStateWriteHealth(options: StateWriteHealthOptions): StateWriteHealth {
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

  return {
    get failing() {
      return failing;
    },
    get failures() {
      return failures;
    },
    attempt(fn) {
      let result;
      try {
        result = fn();
      } catch (error) {
        failed(error);
        throw error;
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
  };
}

/**
 * The failure counter and the failing gauge, read from `health` at each collection (so they
 * cost nothing on the write path). Instrument failures go to `onError`.
 */
export function observeStateWriteHealth(meter: Meter, health: Pick<StateWriteHealth, 'failing' | 'failures'>, onError: (error: unknown) => void): void {
  try {
    meter
      .createObservableCounter(STATE_WRITE_METRICS.failures, { description: 'State writes (audit rows, feedback, calibration versions, drift window) that failed.', unit: '{write}' })
      .addCallback((result) => result.observe(health.failures));
    meter
      .createObservableGauge(STATE_WRITE_METRICS.failing, { description: '1 while state writes fail (the server answers /ready with 503), else 0.' })
      .addCallback((result) => result.observe(health.failing ? 1 : 0));
  } catch (error) {
    onError(error);
  }
}
