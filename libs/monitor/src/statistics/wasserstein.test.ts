import { mulberry32 } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { driftStatistics } from '../drift-statistics.js';
import { SIMULATED_SIGNALS, simulateCounts, simulatedAlarmRates } from '../test-simulation.js';
import type { SimulatedModel } from '../test-simulation.js';
import { BUILTIN_DRIFT_STATISTICS } from './builtin-statistics.js';
import { ks } from './ks.js';
import { wasserstein } from './wasserstein.js';

const w1 = (current: number[], reference: number[], edges: number[] | null) => wasserstein.compute({ current, reference, edges }, { floor: 0.05 });

describe('wasserstein', () => {
  it('is the distance mass moves, as a share of the bucket range (hand-worked)', () => {
    // Positions 1, 2, 3 and 4 (the open last bucket one width above the last edge); range 3.
    expect(w1([1, 0, 0, 0], [0, 0, 0, 1], [1, 2, 3])).toBeCloseTo(1, 12);
    // Every unit of mass moves one bucket (distance 1) to the right: 1 / 3 of the range.
    expect(w1([1, 1, 0, 0], [0, 1, 1, 0], [1, 2, 3])).toBeCloseTo(1 / 3, 12);
    // Unequal widths: positions 0.5, 0.6, 1.0, 1.4; everything moves from 0.5 to 1.0: 0.5 / 0.9.
    expect(w1([5, 0, 0, 0], [0, 0, 7, 0], [0.5, 0.6, 1.0])).toBeCloseTo(0.5 / 0.9, 12);
    expect(w1([3, 4, 5, 0], [6, 8, 10, 0], [1, 2, 3])).toBe(0);
    expect(w1([0, 0, 0, 0], [1, 2, 3, 4], [1, 2, 3])).toBe(0);
  });

  it('never exceeds the bucketed KS D (so the KS critical value bounds its false alarms)', () => {
    const rng = mulberry32(11);
    for (let t = 0; t < 500; t++) {
      const current = Array.from({ length: 8 }, () => Math.floor(rng() * 20));
      const reference = Array.from({ length: 8 }, () => Math.floor(rng() * 20));
      const edges = [0.1, 0.2, 0.35, 0.5, 0.6, 0.8, 0.9];
      expect(w1(current, reference, edges)).toBeLessThanOrEqual(ks.compute({ current, reference, edges }, { floor: 0.1 }) + 1e-12);
    }
  });

  it('is a registered built-in numeric statistic, in driftStatistics values of numeric signals only', () => {
    expect(BUILTIN_DRIFT_STATISTICS).toContain(wasserstein);
    expect(driftStatistics([1, 1, 0, 0], [0, 1, 1, 0], { edges: [1, 2, 3] }).values.wasserstein).toBeCloseTo(1 / 3, 12);
    expect(driftStatistics([1, 1, 0, 0], [0, 1, 1, 0], { edges: null }).values.wasserstein).toBeUndefined();
  });

  /** The simulations of alarm-rule.test.ts: a 2000-prediction reference, 1000 windows per case. */
  describe('alarm rates on simulated windows (default settings)', () => {
    const WINDOWS = 1000;
    const reference = simulateCounts(mulberry32(2024), 2000);
    const numeric = SIMULATED_SIGNALS.filter((s) => s.kind === 'ordinal');
    const alarmRates = (seed: number, n: number, model: SimulatedModel = {}, shift = 0): Record<string, number> =>
      simulatedAlarmRates({ seed, n, model, shift, reference, windows: WINDOWS, signals: numeric });

    if (process.env.GLASSBOX_PRINT_RATES) {
      it('prints the measured rates', () => {
        const print = (name: string, r: Record<string, number>): void => console.log(name, JSON.stringify(r));
        print('n=50', alarmRates(50, 50));
        print('n=300', alarmRates(300, 300));
        print('confidence-0.2', alarmRates(7, 300, {}, 0.2));
        print('T=2', alarmRates(9, 300, { temperature: 2 }));
      });
    }

    it.each([50, 300])('false-alarm rate at n = %i is at most that of the existing statistics, and below 1 percent', (n) => {
      const rates = alarmRates(n, n);
      for (const { signal } of numeric) {
        const own = rates[`${signal}/wasserstein`];
        expect(own, signal).toBeLessThan(0.01);
        expect(own, signal).toBeLessThanOrEqual(Math.max(rates[`${signal}/psi`], rates[`${signal}/ks`]));
      }
    });

    it('detects confidence shifted down by 0.2 and a less confident model (temperature 2) at n = 300', () => {
      expect(alarmRates(7, 300, {}, 0.2)['confidence/wasserstein']).toBeGreaterThanOrEqual(0.95);
      const t2 = alarmRates(9, 300, { temperature: 2 });
      for (const signal of ['margin', 'entropy']) expect(t2[`${signal}/wasserstein`], signal).toBeGreaterThanOrEqual(0.95);
    });
  });
});
