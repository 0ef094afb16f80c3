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

/**
 * Pearson's X² homogeneity statistic on label counts. Alarm: X² above χ²_{1-α}(df) (p < α) and
 * Jensen-Shannon distance >= floor 0.1 (the Evidently / NannyML default).
 */
export const chiSquare: DriftStatisticPlugin<{ floor: number }> = {
  kind: 'drift-statistic',
  name: 'chi-square',
  description: "Pearson's chi-square homogeneity test of the label counts; alarms when p < alpha and the JS distance reaches its floor.",
  signals: ['categorical'],
  options: { floor: { type: 'number', default: 0.1, minimum: 0, description: 'Jensen-Shannon distance floor.' } },
  compute: ({ current, reference }) => chiSquareTest(current, reference).statistic,
  alarmThreshold: ({ bins, alpha }) => (bins > 1 ? criticalChiSquare(alpha, bins - 1) : Infinity),
  effect: ({ current, reference }) => jsDistanceOf(current, reference),
};
