import cliProgress from 'cli-progress';

/** A progress bar over the bytes of an input file, on stderr (a line every 5 s when it is not a terminal). */
export interface Progress {
  /** Bytes read so far and rows done. */
  update(bytes: number, rows: number): void;
  /** Shows 100% and the final row count, and ends the bar. */
  finish(rows: number): void;
  /** Ends the bar where it is (on a failure). */
  stop(): void;
}

const NONE: Progress = { update: () => undefined, finish: () => undefined, stop: () => undefined };

export function startProgress(name: string, totalBytes: number, enabled: boolean): Progress {
  if (!enabled) return NONE;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${name} |{bar}| {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = process.hrtime.bigint();
  const rate = (rows: number) => (rows / Math.max(1e-9, Number(process.hrtime.bigint() - started) / 1e9)).toFixed(0);
  bar.start(totalBytes, 0, { rows: 0, rate: '0' });
  return {
    update: (bytes, rows) => bar.update(bytes, { rows, rate: rate(rows) }),
    finish: (rows) => {
      bar.update(totalBytes, { rows, rate: rate(rows) });
      bar.stop();
    },
    stop: () => bar.stop(),
  };
}

/** A cli-progress bar on stderr for a run of `total` steps; returns its onProgress callback (null without progress). */
export function stepProgress(what: string, enabled = true): ((done: number, total: number) => void) | null {
  if (!enabled) return null;
  let bar: cliProgress.SingleBar | null = null;
  return (done, total) => {
    if (!bar) {
      bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${what} |{bar}| {value}/{total} | ETA {eta_formatted}`, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    }
    bar.update(done);
    if (done >= total) bar.stop();
  };
}
