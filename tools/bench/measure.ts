/**
 * Timing and summary statistics. Benchmarks time whole repetitions (a pass over a workload) and
 * report the median with the min–max spread; latencies are summarised by quantiles.
 */
import { performance } from 'node:perf_hooks';

/** Median and range of a set of measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Linear-interpolated quantile (q in [0, 1]) of ascending `sorted`; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/** Median, min and max of `values`; NaN everywhere when empty. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Milliseconds `fn` takes, once. */
export async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** One configuration of a benchmark: its label and the work one repetition does. */
export interface Contender {
  label: string;
  /** One repetition of the workload. */
  run(): Promise<unknown>;
}

export interface InterleaveOptions {
  /** Untimed repetitions per contender before timing starts. */
  warmup: number;
  /** Timed repetitions per contender. */
  repetitions: number;
}

/**
 * Times every contender `repetitions` times after `warmup` untimed runs, round-robin (A B C A B C
 * ...), so slow drifts of the machine (other load, clock changes) spread over all contenders
 * instead of favouring whichever ran first. Returns milliseconds per repetition, by label.
 */
export async function interleave(contenders: readonly Contender[], options: InterleaveOptions): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(contenders.map((c) => [c.label, []]));
  for (let i = 0; i < options.warmup; i++) {
    for (const c of contenders) await c.run();
  }
  for (let i = 0; i < options.repetitions; i++) {
    for (const c of contenders) times.get(c.label)?.push(await timeOnce(() => c.run()));
  }
  return times;
}

/** Items per second of each repetition, from its milliseconds. */
export function perSecond(items: number, milliseconds: readonly number[]): number[] {
  return milliseconds.map((ms) => (items * 1000) / ms);
}
