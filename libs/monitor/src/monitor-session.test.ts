import { mulberry32 } from '@glassbox/core';
import type { SumMetricData } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from './drift-instruments.js';
import type { MonitorSession, MonitorSessionOptions } from './monitor-session.js';
import { createMonitorSession } from './monitor-session.js';
import { buildReferenceProfile } from './reference-profile.js';
import type { StateStore } from './state-store.js';
import { openStateStore } from './state-store.js';
import { createTestMetrics, createThrowingMeter, pipelineResult } from './test-metrics.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';

const MODEL_ID = 'sha256:session-model';
const reference = buildReferenceProfile(
  Array.from({ length: 2000 }, ((rng) => () => simulateProbabilities(rng))(mulberry32(5))),
  LABELS,
  MODEL_ID,
);
const JOY = [0.01, 0.01, 0.01, 0.94, 0.01, 0.01, 0.01];
const WINDOW = 50;

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

function memoryStore(): StateStore {
  const store = openStateStore({ path: ':memory:', retention: { observations: WINDOW } });
  cleanup.push(() => store.close());
  return store;
}

function session(options: Partial<MonitorSessionOptions> = {}): MonitorSession {
  const s = createMonitorSession({ modelId: MODEL_ID, labels: LABELS, reference, window: WINDOW, seriesEvery: 10, ...options });
  cleanup.push(() => s.shutdown());
  return s;
}

/** A batch of `n` confident joy predictions with ids `${prefix}-0`, `${prefix}-1`, ... */
function joyBatch(prefix: string, n: number) {
  return { results: Array.from({ length: n }, () => pipelineResult(JOY)), ids: Array.from({ length: n }, (_, i) => `${prefix}-${i}`), durationSeconds: 0.01 };
}

describe('createMonitorSession', () => {
  it('persists each batch in one transaction and a new session restores window, alarms, series and feedback from it', () => {
    const store = memoryStore();
    let transactions = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (fn) => {
      transactions++;
      return transaction(fn);
    };
    const first = session({ store });
    first.observeBatch(joyBatch('a', 30));
    expect(transactions).toBe(1);
    expect(store.observedCount(MODEL_ID)).toBe(30);
    expect(first.recordFeedback('a-29', 'anger')).toBe(true);
    const alarms = first.alarmLog();
    expect(alarms.length).toBeGreaterThan(0); // all-joy is far from the reference
    const series = first.series();
    expect(series.map((p) => p.observed)).toEqual([10, 20, 30]);
    const before = first.status();

    const second = session({ store });
    const after = second.status();
    expect(after?.observed).toBe(30);
    expect(after?.window).toBe(30);
    expect(after?.labelled).toBe(1);
    expect(after?.alarms.map((a) => `${a.signal}/${a.statistic}@${a.index}`)).toEqual(before?.alarms.map((a) => `${a.signal}/${a.statistic}@${a.index}`));
    expect(second.alarmLog()).toEqual(alarms);
    expect(second.series()).toEqual(series);
    // Restored alarms stay active without firing again.
    second.observeBatch(joyBatch('b', 1));
    expect(second.alarmLog()).toEqual(alarms);
    expect(store.observedCount(MODEL_ID)).toBe(31);
  });

  it('keeps what a failing store did not take and commits it with the next batch', () => {
    const store = memoryStore();
    const outcomes: Array<unknown> = [];
    let failing = true;
    const transaction = store.transaction.bind(store);
    store.transaction = (fn) => {
      if (failing) throw new Error('disk full');
      return transaction(fn);
    };
    const s = session({ store, onWrite: (error) => outcomes.push(error) });
    expect(() => s.observeBatch(joyBatch('a', 5))).not.toThrow();
    expect(s.status()?.observed).toBe(5);
    expect(store.observedCount(MODEL_ID)).toBe(0);
    failing = false;
    s.observeBatch(joyBatch('b', 2));
    expect(store.recentObservations(MODEL_ID, WINDOW).map((o) => o.predictionId)).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'b-0', 'b-1']);
    expect(outcomes.map((e) => (e === null ? 'ok' : (e as Error).message))).toEqual(['disk full', 'ok']);
  });

  it('without a reference, counts predictions, abstentions and latency under the monitor names', async () => {
    const metrics = createTestMetrics();
    cleanup.push(() => metrics.shutdown());
    const s = session({ reference: null, meter: metrics.meter, abstentionRules: ['max-probability'] });
    expect(s.monitor).toBeNull();
    s.observeBatch({
      results: [pipelineResult(JOY), pipelineResult(JOY, { abstained: true, abstentionReason: 'max probability 0.41 < 0.90' })],
      ids: ['x', 'y'],
      durationSeconds: 0.02,
    });
    const collected = await metrics.collect();
    const predictions = collected.get(METRIC_NAMES.predictions) as SumMetricData;
    expect(predictions.dataPoints.reduce((n, p) => n + p.value, 0)).toBe(2);
    const abstentions = collected.get(METRIC_NAMES.abstentions) as SumMetricData;
    expect(abstentions.dataPoints.map((p) => [p.attributes['reason'], p.value])).toEqual([['max-probability', 1]]);
    expect(collected.has(METRIC_NAMES.duration)).toBe(true);
    expect(s.status()).toBeNull();
    expect(s.recordFeedback('x', 'joy')).toBe(false);
    expect(s.series()).toEqual([]);
  });

  it('never throws into a prediction when the meter throws, and reports each failure once', () => {
    for (const ref of [reference, null]) {
      const errors: unknown[] = [];
      const s = session({ reference: ref, meter: createThrowingMeter(), onError: (e) => errors.push(e) });
      expect(() => {
        s.observeBatch(joyBatch('a', 3));
        s.observeBatch(joyBatch('b', 3));
      }).not.toThrow();
      const messages = errors.map((e) => (e as Error).message);
      expect(new Set(messages).size).toBe(messages.length);
      expect(messages.length).toBeGreaterThan(0);
    }
  });

  it('logs each alarm as one JSON line and stops observing after shutdown', async () => {
    const lines: string[] = [];
    const s = session({ log: { write: (line) => lines.push(line) } });
    // The reference held no thresholds for this window: the session calibrated them and said so first.
    expect(JSON.parse(lines.shift() ?? '{}')).toMatchObject({ event: 'glassbox.drift.calibrated', tests: 11 });
    s.observeBatch(joyBatch('a', 30));
    expect(lines.length).toBe(s.alarmLog().length);
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(lines.map(() => 'glassbox.drift.alarm'));
    await s.shutdown();
    await s.shutdown();
    s.observeBatch(joyBatch('b', 5));
    expect(s.alarmLog().length).toBe(lines.length);
  });

  it('keeps the thresholds it calibrated in the store, so a restart simulates nothing', () => {
    const store = memoryStore();
    const first = session({ store });
    expect(first.status()?.runLength).toMatchObject({ expectedRunLength: 200_000, window: WINDOW, cached: false });
    const stored = store.loadReference(MODEL_ID);
    expect(stored?.run_length?.settings).toMatchObject({ window: WINDOW, expected_run_length: 200_000 });
    const lines: string[] = [];
    const second = session({ store, reference: stored, log: { write: (line) => lines.push(line) } });
    expect(second.status()?.runLength).toMatchObject({ cached: true, thresholds: stored?.run_length?.full_window_thresholds });
    expect(lines).toEqual([]);
  });
});
