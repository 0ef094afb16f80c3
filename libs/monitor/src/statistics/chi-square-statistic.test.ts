import { mulberry32 } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { evaluateAlarms } from '../alarm-rule.js';
import { driftStatistics } from '../drift-statistics.js';
import { multinomial } from '../test-simulation.js';
import { chiSquareTest, pooledChiSquare } from './chi-square-statistic.js';

const labelAlarms = (current: readonly number[], reference: readonly number[]) =>
  evaluateAlarms(driftStatistics(current, reference, { edges: null }), 'nominal').filter((d) => d.alarm);

describe('chi-square on labels: small counts', () => {
  it('labels empty on both sides add no degree of freedom', () => {
    expect(chiSquareTest([10, 20, 0, 0], [30, 20, 0, 0]).df).toBe(1);
    expect(driftStatistics([10, 20, 0, 0], [30, 20, 0, 0], { edges: null }).bins).toBe(2);
    const pooled = pooledChiSquare([10, 20, 0, 0], [30, 20, 0, 0]);
    expect(pooled.df).toBe(1);
    expect(pooled.statistic).toBeCloseTo(16 / 3, 12);
  });

  it('pools nothing when every expected count reaches 5: the plain Pearson statistic', () => {
    const current = [40, 60, 80, 20];
    const reference = [400, 500, 900, 300];
    const plain = chiSquareTest(current, reference);
    expect(pooledChiSquare(current, reference)).toEqual({ statistic: plain.statistic, df: plain.df });
  });

  it('one prediction of a rare label (reference share 0.05%) in a window of 30 does not alarm', () => {
    const reference = [20, 0, 0, 30_000, 9_980, 0, 0];
    const current = [1, 0, 0, 22, 7, 0, 0];
    expect(chiSquareTest(current, reference).statistic).toBeGreaterThan(22.5);
    expect(pooledChiSquare(current, reference).df).toBe(1);
    expect(labelAlarms(current, reference)).toEqual([]);
  });

  it('identical concentrated label distributions never alarm, exact shares or 1000 seeded windows', () => {
    const rng = mulberry32(1301);
    const counts: Record<string, number> = {};
    for (let config = 0; config < 100; config++) {
      const filled = 1 + Math.floor(rng() * 3);
      const weights = new Array<number>(7).fill(0);
      for (let j = 0; j < filled; j++) weights[Math.floor(rng() * 7)] = Math.exp(9 * (rng() - 0.5));
      const total = weights.reduce((a, b) => a + b, 0);
      const m = Math.round(40 * Math.exp(rng() * Math.log(50_000 / 40)));
      const reference = Array.from(multinomial(rng, m, weights.map((w) => w / total)));
      const shares = reference.map((r) => r / m);
      for (let w = 0; w < 10; w++) {
        const n = 30 + Math.floor(rng() * 271);
        for (const d of labelAlarms(Array.from(multinomial(rng, n, shares)), reference)) counts[d.statistic] = (counts[d.statistic] ?? 0) + 1;
      }
      const scale = 2 + Math.floor(rng() * 100);
      const exact = reference.map((r) => r * scale);
      if (m >= 30) expect(labelAlarms(reference, exact)).toEqual([]);
    }
    // At alpha 0.001, expected at most 1 of 1000 per statistic; P(Binomial(1000, 0.001) > 5) < 0.001.
    for (const count of Object.values(counts)) expect(count).toBeLessThanOrEqual(5);
  });
});
