import { mulberry32 } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { ALARM_DEFAULTS, chiSquareAlarm, hasAlarmRule, ksAlarm, psiAlarm, resolveAlarmOptions } from './alarm-rule.js';
import { BUILTIN_DRIFT_STATISTICS } from './statistics/builtin-statistics.js';
import { chiSquareQuantile } from './chi-square.js';
import type { DriftStatistics } from './drift-statistics.js';
import { SIMULATED_SIGNALS, simulateCounts, simulatedAlarmRates } from './test-simulation.js';
import type { SimulatedModel } from './test-simulation.js';

function stats(partial: Partial<DriftStatistics>): DriftStatistics {
  return { psi: 0, jsDistance: 0, ks: 0, chiSquare: { statistic: 0, df: 6, pValue: 1 }, values: {}, effects: {}, bins: 7, n: 100, m: 1000, ...partial };
}

describe('psiAlarm', () => {
  it('uses (1/n + 1/m) chi2_{1-alpha}(B-1) as critical value', () => {
    const critical = (1 / 50 + 1 / 1000) * chiSquareQuantile(0.999, 6);
    expect(critical).toBeCloseTo(0.4716, 3);
    const below = psiAlarm(stats({ psi: 0.45, n: 50 }));
    expect(below.alarm).toBe(false);
    expect(below.threshold).toBeCloseTo(critical, 12);
    expect(psiAlarm(stats({ psi: 0.48, n: 50 })).alarm).toBe(true);
  });

  it('needs the effect floor on large windows', () => {
    // n = m = 10000: critical ~0.0045, far below the 0.1 floor.
    const d = psiAlarm(stats({ psi: 0.05, n: 10000, m: 10000 }));
    expect(d.alarm).toBe(false);
    expect(d.threshold).toBe(0.1);
    expect(d.reason).toMatch(/below floor/);
    expect(psiAlarm(stats({ psi: 0.05, n: 10000, m: 10000 }), resolveAlarmOptions({ psiFloor: 0.02 })).alarm).toBe(true);
  });

  it('stays quiet below minSamples', () => {
    const d = psiAlarm(stats({ psi: 5, n: 10 }));
    expect(d.alarm).toBe(false);
    expect(d.reason).toMatch(/10 < 30/);
  });
});

describe('chiSquareAlarm', () => {
  it('needs p < alpha and JS distance >= floor', () => {
    expect(chiSquareAlarm(stats({ chiSquare: { statistic: 30, df: 6, pValue: 4e-5 }, jsDistance: 0.2 })).alarm).toBe(true);
    expect(chiSquareAlarm(stats({ chiSquare: { statistic: 30, df: 6, pValue: 4e-5 }, jsDistance: 0.05 })).alarm).toBe(false);
    const d = chiSquareAlarm(stats({ chiSquare: { statistic: 15, df: 6, pValue: 0.02 }, jsDistance: 0.3 }));
    expect(d.alarm).toBe(false);
    expect(d.threshold).toBeCloseTo(chiSquareQuantile(0.999, 6), 12);
  });
});

describe('ksAlarm', () => {
  it('uses c(alpha) sqrt((n + m) / (n m)) with the floor', () => {
    const c = Math.sqrt(-Math.log(0.0005) / 2);
    const critical = c * Math.sqrt((300 + 2000) / (300 * 2000));
    expect(ksAlarm(stats({ ks: critical * 0.99, n: 300, m: 2000 })).alarm).toBe(false);
    expect(ksAlarm(stats({ ks: critical * 1.01, n: 300, m: 2000 })).alarm).toBe(true);
    expect(ksAlarm(stats({ ks: 0.05, n: 1e6, m: 1e6 })).alarm).toBe(false);
  });
});

describe('resolveAlarmOptions', () => {
  it('fills defaults in one place and rejects out-of-range values', () => {
    expect(resolveAlarmOptions()).toEqual(ALARM_DEFAULTS);
    expect(resolveAlarmOptions({ alpha: 0.01, psiFloor: undefined }).psiFloor).toBe(0.1);
    for (const bad of [{ alpha: 0 }, { alpha: 1 }, { psiFloor: -1 }, { jsFloor: NaN }, { minSamples: 0 }, { minSamples: 2.5 }]) {
      expect(() => resolveAlarmOptions(bad)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
  });
});

/**
 * Simulation: a reference of 2000 predictions from a synthetic 7-class model, then 1000
 * independent windows. In-distribution windows must alarm in < 1% of windows for every
 * (signal, statistic); clearly shifted windows of 300 must alarm in >= 95%.
 */
describe('alarm rates on simulated windows (default settings)', () => {
  const WINDOWS = 1000;
  const reference = simulateCounts(mulberry32(2024), 2000);
  /** Share of windows alarming, per `signal/statistic`. */
  const alarmRates = (seed: number, n: number, model: SimulatedModel = {}, shift = 0): Record<string, number> =>
    simulatedAlarmRates({ seed, n, model, shift, reference, windows: WINDOWS });

  if (process.env.GLASSBOX_PRINT_RATES) {
    it('prints the measured rates', () => {
      const print = (name: string, r: Record<string, number>): void => console.log(name, JSON.stringify(r));
      print('n=50', alarmRates(50, 50));
      print('n=300', alarmRates(300, 300));
      print('confidence-0.2', alarmRates(7, 300, {}, 0.2));
      print('one-class', alarmRates(8, 300, { prior: [0, 0, 0, 1, 0, 0, 0] }));
      print('T=2', alarmRates(9, 300, { temperature: 2 }));
    });
  }

  it.each([50, 300])('false-alarm rate is below 1 percent for every statistic at n = %i', (n) => {
    const rates = alarmRates(n, n);
    // One rate per signal and registered statistic with an alarm rule for that kind of signal.
    const rules = BUILTIN_DRIFT_STATISTICS.filter(hasAlarmRule);
    const expected = SIMULATED_SIGNALS.flatMap(({ signal, kind }) =>
      rules.filter((p) => p.signals.includes(kind === 'ordinal' ? 'numeric' : 'categorical')).map((p) => `${signal}/${p.name}`),
    );
    expect(Object.keys(rates).sort()).toEqual(expected.sort());
    for (const [key, rate] of Object.entries(rates)) expect(rate, key).toBeLessThan(0.01);
  });

  it('detects confidence shifted down by 0.2 at n = 300', () => {
    const rates = alarmRates(7, 300, {}, 0.2);
    expect(rates['confidence/psi']).toBeGreaterThanOrEqual(0.95);
    expect(rates['confidence/ks']).toBeGreaterThanOrEqual(0.95);
  });

  it('detects all label mass moved to one class at n = 300', () => {
    const rates = alarmRates(8, 300, { prior: [0, 0, 0, 1, 0, 0, 0] });
    expect(rates['labels/psi']).toBeGreaterThanOrEqual(0.95);
    expect(rates['labels/chi-square']).toBeGreaterThanOrEqual(0.95);
  });

  it('detects a less confident model (softmax temperature 2) on margin and entropy at n = 300', () => {
    const rates = alarmRates(9, 300, { temperature: 2 });
    for (const key of ['margin/psi', 'margin/ks', 'entropy/psi', 'entropy/ks']) expect(rates[key]).toBeGreaterThanOrEqual(0.95);
  });
});
