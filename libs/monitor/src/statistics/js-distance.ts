import type { DriftStatisticPlugin } from '@glassbox/core';
import { shares } from './critical-values.js';

/** Jensen-Shannon distance, base 2, of two count vectors' shares: sqrt of the JS divergence; in [0, 1]. */
export function jsDistanceOf(current: readonly number[], reference: readonly number[]): number {
  const c = shares(current);
  const r = shares(reference);
  if (c.every((x) => x === 0) || r.every((x) => x === 0)) return 0;
  let divergence = 0;
  for (let i = 0; i < c.length; i++) {
    const mid = (c[i] + r[i]) / 2;
    if (c[i] > 0) divergence += 0.5 * c[i] * Math.log2(c[i] / mid);
    if (r[i] > 0) divergence += 0.5 * r[i] * Math.log2(r[i] / mid);
  }
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

/**
 * Jensen-Shannon distance (base 2) of the raw shares; in [0, 1]. Reported on every signal; it has
 * no alarm of its own (it is the chi-square rule's effect size).
 */
export const jsDistance: DriftStatisticPlugin = {
  kind: 'drift-statistic',
  name: 'js-distance',
  description: 'Jensen-Shannon distance (base 2) of the shares, in [0, 1]; reported, the effect size of the chi-square alarm.',
  signals: ['numeric', 'categorical'],
  compute: ({ current, reference }) => jsDistanceOf(current, reference),
};
