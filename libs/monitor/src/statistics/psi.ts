import type { DriftStatisticPlugin } from '@glassbox/core';
import { criticalChiSquare } from './critical-values.js';

/**
 * Population stability index Σ (c_i - r_i) ln(c_i / r_i) over pseudo-count shares; >= 0. Only
 * the B bins holding data on either side take the pseudo-count and enter the sum, so the value
 * and the critical value's degrees of freedom count the same bins.
 * Alarm: under no drift PSI ~ (1/n + 1/m) χ²(B - 1) (PSI is the symmetrised KL divergence, which
 * to second order is Pearson's X² / (n m / (n + m))), so the critical value is
 * (1/n + 1/m) χ²_{1-α}(B - 1), B the bins holding data on either side; floor 0.1 (the
 * conventional "moderate shift").
 */
export const psi: DriftStatisticPlugin<{ pseudoCount: number; floor: number }> = {
  kind: 'drift-statistic',
  name: 'psi',
  description: 'Population stability index over pseudo-count shares; alarms above (1/n + 1/m) chi2_{1-alpha}(B - 1) and its floor.',
  signals: ['numeric', 'categorical'],
  options: {
    pseudoCount: {
      type: 'number',
      default: 0.5,
      minimum: Number.MIN_VALUE,
      description: "Added to every bin holding data on either side before normalising (Jeffreys' 0.5): keeps ln(c/r) finite for bins empty on one side; bins empty on both sides are skipped.",
    },
    floor: { type: 'number', default: 0.1, minimum: 0, description: 'Effect floor: smaller PSI never alarms.' },
  },
  compute({ current, reference }, { pseudoCount }) {
    const n = sum(current);
    const m = sum(reference);
    if (n === 0 || m === 0) return 0;
    // Only bins holding data on either side take a pseudo-count: a bin empty on both sides says
    // nothing about drift, and the critical value's degrees of freedom (B - 1) count only those
    // bins too. Smoothing empty bins as well gave identical data concentrated in 1-3 of 12 bins a
    // PSI of 1.108 against a critical value of 0.361 (n 30, m 43,410): a false alarm every time.
    let filled = 0;
    for (let i = 0; i < current.length; i++) if (current[i] + reference[i] > 0) filled++;
    const cTotal = n + pseudoCount * filled;
    const rTotal = m + pseudoCount * filled;
    let value = 0;
    for (let i = 0; i < current.length; i++) {
      if (current[i] + reference[i] === 0) continue;
      const c = (current[i] + pseudoCount) / cTotal;
      const r = (reference[i] + pseudoCount) / rTotal;
      if (c > 0 && r > 0) value += (c - r) * Math.log(c / r);
    }
    return Math.max(0, value);
  },
  alarmThreshold({ current, reference, bins, alpha }) {
    return (1 / current + 1 / reference) * criticalChiSquare(alpha, Math.max(1, bins - 1));
  },
};

function sum(counts: readonly number[]): number {
  let s = 0;
  for (const c of counts) s += c;
  return s;
}
