import { mulberry32 } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import type { DriftAlarm, DriftMonitor, MonitorObservation } from './drift-types.js';
import { pipelineResult } from './test-metrics.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';
import { ONE_HOT_JOY, useDriftMonitorSetup } from './test-drift-monitor.js';

/** The drift monitor's restore: a window rebuilt from stored observations after a restart. */

const setup = useDriftMonitorSetup();

describe('createDriftMonitor: restore after a restart', () => {
  /** Observes `n` predictions through a monitor that hands its observations to `sink`. */
  function traffic(monitor: DriftMonitor, n: number, rng: () => number, shifted = false): void {
    for (let i = 0; i < n; i++) monitor.observe(pipelineResult(shifted ? ONE_HOT_JOY : simulateProbabilities(rng)), { id: `p${i}` });
  }

  it('rebuilds the same window, counts, estimates, feedback and indexes from its observations', () => {
    const stored: MonitorObservation[] = [];
    const before = setup({ window: { size: 40 }, onObservation: (o) => stored.push(o) }).monitor;
    traffic(before, 55, mulberry32(5));
    expect(stored.map((o) => o.index)).toEqual(Array.from({ length: 55 }, (_, i) => i));
    expect(before.recordFeedback('p50', LABELS[stored[50].label])).toBe(true);
    stored[50] = { ...stored[50], truth: stored[50].label };
    expect(before.recordFeedback('p51', LABELS[(stored[51].label + 1) % 7])).toBe(true);
    stored[51] = { ...stored[51], truth: (stored[51].label + 1) % 7 };

    const fired: DriftAlarm[] = [];
    const after = setup({ window: { size: 40 }, onAlarm: (a) => fired.push(a) }).monitor;
    after.restore({ observed: 55, observations: stored });
    const [a, b] = [before.status(), after.status()];
    expect(b.observed).toBe(55);
    expect(b.window).toBe(40);
    for (const signal of ['confidence', 'margin', 'entropy', 'labels'] as const) {
      expect(b.signals[signal].windowCounts).toEqual(a.signals[signal].windowCounts);
    }
    expect(b.estimatedAccuracy).toBeCloseTo(a.estimatedAccuracy ?? NaN, 12);
    expect(b.labelled).toBe(2);
    expect(b.realizedAccuracy).toBe(0.5);
    expect(b.accuracyGap).toBeCloseTo(a.accuracyGap ?? NaN, 12);
    // Restored ids still take feedback; the next observation continues the numbering.
    expect(after.recordFeedback('p54', 'joy')).toBe(true);
    const next: MonitorObservation[] = [];
    const continued = setup({ window: { size: 40 }, onObservation: (o) => next.push(o) }).monitor;
    continued.restore({ observed: 55, observations: stored });
    continued.observe(pipelineResult(ONE_HOT_JOY));
    expect(next.map((o) => o.index)).toEqual([55]);
    expect(fired).toEqual([]);
  });

  it('keeps stored alarms active without firing them again, and fires ones the store lacks', () => {
    let now = 5_000;
    const stored: MonitorObservation[] = [];
    const firedBefore: DriftAlarm[] = [];
    const before = setup({ window: { size: 100 }, now: () => now, onAlarm: (a) => firedBefore.push(a), onObservation: (o) => stored.push(o) }).monitor;
    traffic(before, 100, mulberry32(9), true);
    expect(firedBefore.length).toBeGreaterThan(0);

    now = 9_000;
    const firedAfter: DriftAlarm[] = [];
    const after = setup({ window: { size: 100 }, now: () => now, onAlarm: (a) => firedAfter.push(a) }).monitor;
    // An older firing of the same statistics (newest-first histories list it after) is not the one kept.
    const older = firedBefore.map((a) => ({ ...a, index: a.index - 50, time: 1 }));
    after.restore({ observed: 100, observations: stored, alarms: [...firedBefore].reverse().concat(older) });
    expect(firedAfter).toEqual([]);
    expect(after.status().alarms).toEqual(expect.arrayContaining(firedBefore));
    expect(after.status().alarms).toHaveLength(firedBefore.length);

    // Without the alarm history, the active alarms fire at the restored position.
    const lost: DriftAlarm[] = [];
    const amnesic = setup({ window: { size: 100 }, now: () => now, onAlarm: (a) => lost.push(a) }).monitor;
    amnesic.restore({ observed: 100, observations: stored });
    expect(lost.map((a) => `${a.signal}/${a.statistic}`).sort()).toEqual(firedBefore.map((a) => `${a.signal}/${a.statistic}`).sort());
    expect(lost.every((a) => a.index === 99 && a.time === 9_000)).toBe(true);
  });

  it('drops observations older than a time window and re-buckets with its own reference', () => {
    let now = 100_000;
    const stored: MonitorObservation[] = [];
    const before = setup({ window: { ms: 60_000 }, now: () => now, onObservation: (o) => stored.push(o) }).monitor;
    before.observe(pipelineResult(ONE_HOT_JOY));
    now = 150_000;
    before.observe(pipelineResult(ONE_HOT_JOY));
    now = 170_000;
    const after = setup({ window: { ms: 60_000 }, now: () => now }).monitor;
    after.restore({ observed: 2, observations: stored });
    expect(after.status()).toMatchObject({ observed: 2, window: 1 });
    now = 220_000;
    expect(after.status().window).toBe(0);
  });

  it('refuses restoring into a used monitor and malformed state', () => {
    const { monitor } = setup();
    const ok: MonitorObservation = { index: 0, time: 1, id: null, label: 3, confidence: 1, margin: 1, entropy: 0, truth: null };
    expect(() => monitor.restore({ observed: 0, observations: [ok] })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => monitor.restore({ observed: 2, observations: [ok, ok] })).toThrow(/out of order/);
    expect(() => monitor.restore({ observed: 1, observations: [{ ...ok, label: 7 }] })).toThrow(/malformed/);
    monitor.observe(pipelineResult(ONE_HOT_JOY));
    expect(() => monitor.restore({ observed: 1, observations: [ok] })).toThrow(/before the first observe/);
  });
});
