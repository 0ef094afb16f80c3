import type { DriftStatisticPlugin } from '@glassbox/core';
import { criticalKs, shares } from './critical-values.js';

/**
 * Wasserstein-1 (earth mover's) distance between the bucketed histograms of a numeric signal,
 * normalised by the bucket range so it lies in [0, 1]: each bucket's mass sits at its upper edge
 * (the open last bucket one bucket width above the last edge), and
 * W1 = Σ_i |CDF_c(i) - CDF_r(i)| (x_{i+1} - x_i) / (x_last - x_first).
 * It is the mean shift of the signal as a share of its range: moving all mass by a quarter of the
 * range gives 0.25.
 *
 * Alarm: W1 > c(α) sqrt((n + m) / (n m)), the two-sample KS critical value, and W1 >= floor 0.05
 * (a shift of 5% of the signal's range). Why that critical value: the normalised W1 is a
 * weighted mean of |CDF_c - CDF_r| over the buckets (the weights sum to 1), so it never exceeds
 * the bucketed KS D; hence P(W1 > critical) <= P(D > critical) <= α when nothing drifted, for
 * every window size, with no simulation needed. The price is power on changes spread thinly
 * over the range (KS sees those first); W1 reacts to how far mass moves, not just whether it moved.
 */
export const wasserstein: DriftStatisticPlugin<{ floor: number }> = {
  kind: 'drift-statistic',
  name: 'wasserstein',
  description: "Wasserstein-1 (earth mover's) distance of the bucketed numbers, as a share of the bucket range in [0, 1].",
  signals: ['numeric'],
  options: { floor: { type: 'number', default: 0.05, minimum: 0, description: 'Effect floor: a smaller mean shift (share of the range) never alarms.' } },
  compute({ current, reference, edges }) {
    const c = shares(current);
    const r = shares(reference);
    if (c.every((x) => x === 0) || r.every((x) => x === 0)) return 0;
    const x = positions(edges ?? [], c.length);
    const range = x[x.length - 1] - x[0];
    if (!(range > 0)) return 0;
    let cdfC = 0;
    let cdfR = 0;
    let w = 0;
    for (let i = 0; i < c.length - 1; i++) {
      cdfC += c[i];
      cdfR += r[i];
      w += Math.abs(cdfC - cdfR) * (x[i + 1] - x[i]);
    }
    return Math.min(1, w / range);
  },
  alarmThreshold: ({ current, reference, alpha }) => criticalKs(alpha, current, reference),
};

/** Where each bucket's mass sits: its upper edge; the open last bucket one bucket width above the last edge. */
function positions(edges: readonly number[], bins: number): number[] {
  const x = edges.length === bins - 1 ? [...edges] : Array.from({ length: bins - 1 }, (_, i) => i + 1);
  const width = x.length >= 2 ? x[x.length - 1] - x[x.length - 2] : 1;
  x.push(x[x.length - 1] + width);
  return x;
}
