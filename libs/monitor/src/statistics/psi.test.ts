import { mulberry32 } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { evaluateAlarms } from '../alarm-rule.js';
import { driftStatistics } from '../drift-statistics.js';
import { multinomial } from '../test-simulation.js';

const BINS = 12;
const EDGES = Array.from({ length: BINS - 1 }, (_, i) => (i + 1) / BINS);

/** A seeded concentrated histogram: 1-3 non-empty bins of 12 with random shares, and a reference of m counts. */
function concentrated(rng: () => number) {
  const filled = 1 + Math.floor(rng() * 3);
  const positions = new Set<number>();
  while (positions.size < filled) positions.add(Math.floor(rng() * BINS));
  const weights = new Array<number>(BINS).fill(0);
  for (const i of positions) weights[i] = 0.05 + rng();
  const total = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => w / total);
  const m = Math.round(40 * Math.exp(rng() * Math.log(50_000 / 40)));
  const reference = Array.from(multinomial(rng, m, shares));
  return { reference, m };
}

const alarmsOf = (current: readonly number[], reference: readonly number[]) =>
  evaluateAlarms(driftStatistics(current, reference, { edges: EDGES }), 'ordinal').filter((d) => d.alarm);

describe('psi: bins empty on both sides', () => {
  it('take no pseudo-count: adding empty bins changes neither PSI nor its bins', () => {
    const a = driftStatistics([10, 20, 0], [100, 200, 0]);
    const b = driftStatistics([10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [100, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(b.psi).toBe(a.psi);
    expect(b.bins).toBe(2);
    expect(b.chiSquare.df).toBe(1);
  });

  it('the issue #13 case (identical data in 1-3 of 12 bins, n 30, m 43,410) does not alarm', () => {
    const reference = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1447 * 3, 1447 * 10, 1447 * 17];
    const current = [0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 10, 17];
    expect(reference.reduce((a, b) => a + b, 0)).toBe(43_410);
    const stats = driftStatistics(current, reference, { edges: EDGES });
    expect(stats.bins).toBe(3);
    expect(alarmsOf(current, reference)).toEqual([]);
  });

  it('identical concentrated data never alarms: windows with exactly the reference shares, n 30-300', () => {
    const rng = mulberry32(13);
    let checked = 0;
    for (let k = 0; k < 200; k++) {
      const filled = 1 + (k % 3);
      const window = new Array<number>(BINS).fill(0);
      for (let j = 0; j < filled; j++) window[(k * 5 + j * 4) % BINS] += 10 + Math.floor(rng() * 90);
      const n = window.reduce((a, b) => a + b, 0);
      if (n < 30 || n > 300) continue;
      const scale = 1 + Math.floor(rng() * 160);
      const reference = window.map((c) => c * scale);
      expect(alarmsOf(window, reference)).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('windows sampled from a concentrated reference alarm at a rate consistent with alpha 0.001 (1000 seeded windows)', () => {
    const rng = mulberry32(2026);
    const byStatistic: Record<string, number> = {};
    let windows = 0;
    for (let config = 0; config < 100; config++) {
      const { reference, m } = concentrated(rng);
      const shares = reference.map((r) => r / m);
      for (let w = 0; w < 10; w++) {
        const n = 30 + Math.floor(rng() * 271);
        const current = Array.from(multinomial(rng, n, shares));
        for (const d of alarmsOf(current, reference)) byStatistic[d.statistic] = (byStatistic[d.statistic] ?? 0) + 1;
        windows++;
      }
    }
    expect(windows).toBe(1000);
    // Expected at most 1 per statistic at alpha 0.001; P(Binomial(1000, 0.001) > 5) < 0.001.
    for (const count of Object.values(byStatistic)) expect(count).toBeLessThanOrEqual(5);
  });
});
