import type { DriftStatisticPlugin } from '@glassbox/core';
import { chiSquareSurvival } from '../chi-square.js';
import { criticalChiSquare } from './critical-values.js';
import { jsDistanceOf } from './js-distance.js';

export interface ChiSquareTest {
  /** Pearson's X² of the 2 x B contingency table (current, reference) x bins. */
  statistic: number;
  /** Non-empty bins - 1 (bins empty on both sides carry no information and are dropped). */
  df: number;
  /** P(χ²(df) >= statistic) under "both samples come from one distribution". */
  pValue: number;
}

/** Pearson's chi-square homogeneity test of two count vectors over the same bins. */
export function chiSquareTest(current: readonly number[], reference: readonly number[]): ChiSquareTest {
  let n = 0;
  let m = 0;
  for (let i = 0; i < current.length; i++) {
    n += current[i];
    m += reference[i];
  }
  if (n === 0 || m === 0) return { statistic: 0, df: current.length - 1, pValue: 1 };
  const grand = n + m;
  let statistic = 0;
  let nonEmpty = 0;
  for (let i = 0; i < current.length; i++) {
    const column = current[i] + reference[i];
    if (column === 0) continue;
    nonEmpty++;
    const expectedC = (n * column) / grand;
    const expectedR = (m * column) / grand;
    statistic += (current[i] - expectedC) ** 2 / expectedC + (reference[i] - expectedR) ** 2 / expectedR;
  }
  const df = nonEmpty - 1;
  return { statistic, df, pValue: df > 0 ? chiSquareSurvival(statistic, df) : 1 };
}

/** Cochran's rule: the χ² approximation needs expected counts of at least 5 in every cell. */
export const MIN_EXPECTED = 5;

/**
 * Pearson's X² of the 2 x B table after pooling the labels whose expected window count
 * n (x_i + r_i) / (n + m) is below {@link MIN_EXPECTED} into one column (and, while that pooled
 * column is still below it, the smallest remaining label into it). Labels empty on both sides are
 * dropped. `df` is the pooled columns - 1; with one column left there is no test (X² 0, df 0).
 */
export function pooledChiSquare(current: readonly number[], reference: readonly number[]): { statistic: number; df: number } {
  let n = 0;
  let m = 0;
  for (let i = 0; i < current.length; i++) {
    n += current[i];
    m += reference[i];
  }
  if (n === 0 || m === 0) return { statistic: 0, df: 0 };
  const grand = n + m;
  const expected = (column: number) => (n * column) / grand;
  const kept: Array<[number, number]> = [];
  const pool: [number, number] = [0, 0];
  for (let i = 0; i < current.length; i++) {
    const column = current[i] + reference[i];
    if (column === 0) continue;
    if (expected(column) < MIN_EXPECTED) {
      pool[0] += current[i];
      pool[1] += reference[i];
    } else kept.push([current[i], reference[i]]);
  }
  kept.sort((a, b) => a[0] + a[1] - (b[0] + b[1]));
  while (pool[0] + pool[1] > 0 && expected(pool[0] + pool[1]) < MIN_EXPECTED && kept.length > 0) {
    const [x, r] = kept.shift() as [number, number];
    pool[0] += x;
    pool[1] += r;
  }
  const columns = pool[0] + pool[1] > 0 ? [...kept, pool] : kept;
  let statistic = 0;
  for (const [x, r] of columns) {
    const column = x + r;
    const e = (n * column) / grand;
    const f = (m * column) / grand;
    statistic += (x - e) ** 2 / e + (r - f) ** 2 / f;
  }
  return columns.length > 1 ? { statistic, df: columns.length - 1 } : { statistic: 0, df: 0 };
}

/**
 * Pearson's X² homogeneity statistic on label counts, with labels of expected window count below 5
 * pooled ({@link pooledChiSquare}). Alarm: X² above χ²_{1-α}(B - 1), B the labels seen on either
 * side, and Jensen-Shannon distance >= floor 0.1 (the Evidently / NannyML default).
 *
 * Why pooling: where expected counts are tiny the χ² approximation fails. One prediction of a label
 * with reference share 0.05% in a window of 30 adds (1 - 0.015)² / 0.015 ≈ 65 to X², far above
 * χ²_{0.999}(6) = 22.5, and the JS distance of such a window often passes 0.1: on identical
 * concentrated label distributions the unpooled rule alarmed in 19 of 10,000 seeded windows
 * (0.19% at α = 0.1%). Pooling the rare labels keeps every cell at Cochran's minimum. The critical
 * value keeps B - 1 degrees of freedom (pooling only lowers df, and χ²_{1-α} grows with df), so the
 * rule is exact when nothing is pooled and conservative when something is; the pooled X² is the
 * value (`values['chi-square']`), while `DriftStatistics.chiSquare` stays the plain Pearson test.
 */
export const chiSquare: DriftStatisticPlugin<{ floor: number }> = {
  kind: 'drift-statistic',
  name: 'chi-square',
  description: "Pearson's chi-square homogeneity test of the label counts (labels expected fewer than 5 times pooled); alarms when p < alpha and the JS distance reaches its floor.",
  signals: ['categorical'],
  options: { floor: { type: 'number', default: 0.1, minimum: 0, description: 'Jensen-Shannon distance floor.' } },
  compute: ({ current, reference }) => pooledChiSquare(current, reference).statistic,
  alarmThreshold: ({ bins, alpha }) => (bins > 1 ? criticalChiSquare(alpha, bins - 1) : Infinity),
  effect: ({ current, reference }) => jsDistanceOf(current, reference),
};
