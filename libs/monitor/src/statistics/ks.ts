import type { DriftStatisticPlugin } from '@glassbox/core';
import { criticalKs, shares } from './critical-values.js';

/**
 * Kolmogorov-Smirnov D on the buckets: max |CDF_c - CDF_r| over bucket edges; in [0, 1].
 * Alarm: D > c(α) sqrt((n + m) / (n m)) with c(α) = sqrt(-ln(α / 2) / 2), and D >= floor 0.1; on
 * buckets D is a lower bound of the exact KS, so the test is slightly conservative.
 */
export const ks: DriftStatisticPlugin<{ floor: number }> = {
  kind: 'drift-statistic',
  name: 'ks',
  description: 'Bucketed Kolmogorov-Smirnov D of ordered buckets; alarms above c(alpha) sqrt((n + m) / (n m)) and its floor.',
  signals: ['numeric'],
  options: { floor: { type: 'number', default: 0.1, minimum: 0, description: 'Effect floor: smaller D never alarms.' } },
  compute({ current, reference }) {
    const c = shares(current);
    const r = shares(reference);
    if (c.every((x) => x === 0) || r.every((x) => x === 0)) return 0;
    let cdfC = 0;
    let cdfR = 0;
    let d = 0;
    for (let i = 0; i < c.length - 1; i++) {
      cdfC += c[i];
      cdfR += r[i];
      d = Math.max(d, Math.abs(cdfC - cdfR));
    }
    return Math.min(1, d);
  },
  alarmThreshold: ({ current, reference, alpha }) => criticalKs(alpha, current, reference),
};
