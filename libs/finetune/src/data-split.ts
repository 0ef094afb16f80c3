import { GlassboxError, mulberry32 } from '@glassbox/core';

export interface DataSplit {
  /** Row indices of each part, each in ascending order. */
  train: number[];
  validation: number[];
  test: number[];
}

export interface SplitOptions {
  /** Share of each class held out for early stopping and temperature (0..1). */
  validation: number;
  /** Share of each class held out for the before/after figures (0..1; 0 reports on validation). */
  test?: number;
  seed: number;
}

/** Fisher-Yates shuffle of `items` in place with a seeded generator. */
export function shuffleInPlace<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * A seeded split stratified by label: each class's rows are shuffled and the first
 * round(share x count) go to validation, the next to test, the rest to training. A class
 * with at least 2 rows keeps at least one in training and, when `validation` > 0, one in
 * validation. The same labels and seed give the same split.
 */
export function stratifiedSplit(labels: ArrayLike<number>, options: SplitOptions): DataSplit {
  const test = options.test ?? 0;
  if (!(options.validation > 0 && options.validation < 1) || !(test >= 0 && test < 1) || options.validation + test >= 1) {
    throw new GlassboxError('INVALID_OPTION', `validation and test shares must be in (0, 1) and [0, 1) with a sum below 1, got ${options.validation} and ${test}`);
  }
  const rng = mulberry32(options.seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  const split: DataSplit = { train: [], validation: [], test: [] };
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = shuffleInPlace(byClass.get(cls) as number[], rng);
    const n = rows.length;
    let nVal = Math.round(n * options.validation);
    let nTest = Math.round(n * test);
    if (n >= 2) nVal = Math.max(1, nVal);
    nVal = Math.min(nVal, Math.max(0, n - 1));
    nTest = Math.min(nTest, Math.max(0, n - 1 - nVal));
    split.validation.push(...rows.slice(0, nVal));
    split.test.push(...rows.slice(nVal, nVal + nTest));
    split.train.push(...rows.slice(nVal + nTest));
  }
  for (const part of [split.train, split.validation, split.test]) part.sort((a, b) => a - b);
  return split;
}
