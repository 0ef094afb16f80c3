import { GlassboxError, mulberry32 } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { resolveAlarmOptions } from './alarm-rule.js';
import { createDriftMonitor } from './drift-monitor.js';
import { buildReferenceProfile, parseReferenceProfile } from './reference-profile.js';
import { simulateRunLength } from './run-length-simulation.js';
import { baseCritical, calibrateRunLength, gumbelFit, resolveRunLength, runLengthMismatch, runLengthSettings } from './run-length.js';
import { builtinDriftStatistics } from './statistics/builtin-statistics.js';
import { psi } from './statistics/psi.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';

const draws = (seed: number, n: number) => Array.from({ length: n }, ((rng) => () => simulateProbabilities(rng))(mulberry32(seed)));
const reference = buildReferenceProfile(draws(5, 3000), LABELS, 'sha256:run-length');
const statistics = builtinDriftStatistics();
const alarm = resolveAlarmOptions({ minSamples: 20 });
const small = { window: 40, alarm, statistics, streams: 100 };

describe('gumbelFit', () => {
  it('recovers the location and scale of a seeded Gumbel sample', () => {
    const rng = mulberry32(3);
    const sample = Array.from({ length: 20_000 }, () => 2 - 0.5 * Math.log(-Math.log(rng())));
    const { location, scale } = gumbelFit(sample);
    expect(location).toBeCloseTo(2, 1);
    expect(scale).toBeCloseTo(0.5, 1);
  });
});

describe('calibrateRunLength', () => {
  const calibration = calibrateRunLength(reference, { ...small, expectedRunLength: 2000 });

  it('is deterministic for a seed and splits the budget over every signal x statistic with an alarm rule', () => {
    expect(calibrateRunLength(reference, { ...small, expectedRunLength: 2000 })).toEqual(calibration);
    expect(calibrateRunLength(reference, { ...small, expectedRunLength: 2000, seed: 99 }).multipliers).not.toEqual(calibration.multipliers);
    // confidence, margin, entropy x (psi, ks, wasserstein) + labels x (psi, chi-square)
    expect(calibration.tests).toBe(11);
    expect(calibration.per_test_run_length).toBe(22_000);
    expect(Object.keys(calibration.multipliers.labels)).toEqual(['psi', 'chi-square']);
  });

  it('asks for more evidence the longer the stated run length', () => {
    const longer = calibrateRunLength(reference, { ...small, expectedRunLength: 2_000_000 });
    for (const signal of Object.keys(calibration.multipliers)) {
      for (const [name, k] of Object.entries(calibration.multipliers[signal])) {
        expect(k).toBeGreaterThanOrEqual(1);
        expect(longer.multipliers[signal][name]).toBeGreaterThanOrEqual(k);
      }
    }
    expect(longer.multipliers.confidence.psi).toBeGreaterThan(calibration.multipliers.confidence.psi);
  });

  it('gives a stream from the reference distribution false alarms at no more than the stated rate, and not far fewer', () => {
    // Held-out in-domain predictions (another seed of the same model), 40 streams of 2500 through
    // the real monitor. Seeded, so the counts are fixed; the tolerance is the exact Poisson interval.
    const profile = { ...reference, run_length: calibration };
    const sim = simulateRunLength(draws(6, 4000), { reference: profile, window: 40, expectedRunLength: 2000, alarmOptions: { minSamples: 20 }, streams: 40, streamLength: 2500, seed: 7 });
    expect(sim.combined.alarms).toBeGreaterThan(0);
    // Not more often than stated: the interval reaches the stated run length or beyond.
    expect(sim.combined.upper).toBeGreaterThanOrEqual(2000);
    // Bonferroni over 11 correlated tests is conservative, but not vacuous: under 11 x the target.
    expect(sim.combined.lower).toBeLessThan(11 * 2000);
  }, 120_000);
});

describe('cached thresholds', () => {
  const calibration = calibrateRunLength(reference, { ...small, expectedRunLength: 5000 });
  const profile = parseReferenceProfile(JSON.parse(JSON.stringify({ ...reference, run_length: calibration })));

  it('survive the profile round trip and serve a monitor with the same settings without simulating', () => {
    expect(profile.run_length).toEqual(calibration);
    const monitor = createDriftMonitor({ reference: profile, window: { size: 40 }, alarm: { minSamples: 20, expectedRunLength: 5000, calibrate: false } });
    const status = monitor.status();
    expect(status.runLength).toMatchObject({ expectedRunLength: 5000, window: 40, minSamples: 20, tests: 11, cached: true });
    expect(status.minSamples).toBe(20);
    for (let i = 0; i < 40; i++) monitor.observe({ probabilities: Array.from(simulateProbabilities(mulberry32(i))) } as never);
    const decision = monitor.status().signals.confidence.decisions.find((d) => d.statistic === 'psi');
    const bins = monitor.status().signals.confidence.statistics.bins;
    const expected = calibration.multipliers.confidence.psi * baseCritical(psi, { pseudoCount: 0.5, floor: 0.1 }, 40, reference.n, bins, 0.001);
    expect(decision?.threshold).toBeCloseTo(Math.max(expected, 0.1), 12);
    expect(decision?.reason).toContain('run length 5000');
  });

  it('are recalibrated, or refused with RUN_LENGTH_UNCALIBRATED, when the settings differ', () => {
    const wanted = runLengthSettings({ ...small, window: 60, expectedRunLength: 5000 });
    expect(runLengthMismatch(profile.run_length, wanted)).toMatch(/window 40 \(wanted 60\)/);
    expect(runLengthMismatch(profile.run_length, runLengthSettings({ ...small, expectedRunLength: 5000, alarm: resolveAlarmOptions({ minSamples: 20, alpha: 0.01 }) }))).toMatch(/alpha/);
    expect(runLengthMismatch(undefined, wanted)).toMatch(/no run-length calibration/);
    const err = (() => {
      try {
        createDriftMonitor({ reference: profile, window: { size: 60 }, alarm: { minSamples: 20, expectedRunLength: 5000, calibrate: false } });
      } catch (e) {
        return e as GlassboxError;
      }
    })();
    expect(err?.code).toBe('RUN_LENGTH_UNCALIBRATED');
    expect(err?.message).toMatch(/window 40 \(wanted 60\).*--window 60 --expected-run-length 5000/);
    const fresh = resolveRunLength(profile, { ...small, window: 60, expectedRunLength: 5000 });
    expect(fresh.cached).toBe(false);
    expect(fresh.calibration.settings.window).toBe(60);
    const monitor = createDriftMonitor({ reference: profile, window: { size: 40 }, alarm: { minSamples: 20, expectedRunLength: 9000 } });
    expect(monitor.status().runLength).toMatchObject({ expectedRunLength: 9000, cached: false });
  });

  it('per-window tests (expectedRunLength null) carry no run length', () => {
    const monitor = createDriftMonitor({ reference: profile, window: { size: 40 }, alarm: { expectedRunLength: null } });
    expect(monitor.runLength).toBeNull();
    expect(monitor.status().runLength).toBeNull();
  });

  it('a malformed stored calibration is INVALID_INPUT naming the field', () => {
    const bad = { ...JSON.parse(JSON.stringify(profile)), run_length: { ...calibration, tests: -1 } };
    expect(() => parseReferenceProfile(bad)).toThrow(/run_length\.tests/);
  });
});
