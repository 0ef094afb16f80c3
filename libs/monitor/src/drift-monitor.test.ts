import type { InferenceEngine, Prediction } from '@glassbox/core';
import { createPipeline, mulberry32 } from '@glassbox/core';
import type { HistogramMetricData, MetricData } from '@opentelemetry/sdk-metrics';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { CONFIDENCE_BUCKETS, DURATION_BUCKETS, ENTROPY_BUCKETS, MARGIN_BUCKETS } from './buckets.js';
import type { DriftAlarm } from './drift-types.js';
import { ATTR_CALIBRATION_ID, ATTR_MODEL_ID, METRIC_NAMES } from './drift-instruments.js';
import { createDriftMonitor } from './drift-monitor.js';
import { hasAlarmRule } from './alarm-rule.js';
import { BUILTIN_DRIFT_STATISTICS } from './statistics/builtin-statistics.js';
import { createThrowingMeter, createThrowingRecordMeter, pipelineResult } from './test-metrics.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';
import { MODEL_ID, ONE_HOT_JOY, reference, useDriftMonitorSetup } from './test-drift-monitor.js';

/** The built-in statistics with an alarm rule for numeric or categorical signals, in evaluation order. */
const rulesFor = (signal: 'numeric' | 'categorical'): string[] =>
  BUILTIN_DRIFT_STATISTICS.filter((p) => hasAlarmRule(p) && p.signals.includes(signal)).map((p) => p.name);

const setup = useDriftMonitorSetup();

function histogram(metrics: Map<string, MetricData>, name: string): HistogramMetricData {
  const m = metrics.get(name);
  expect(m?.dataPointType, name).toBe(DataPointType.HISTOGRAM);
  return m as HistogramMetricData;
}

describe('createDriftMonitor: instruments', () => {
  it('records each signal into a histogram with its name, unit and buckets', async () => {
    const { metrics, monitor, errors } = setup({ calibrationId: 'temperature:abc' });
    monitor.observe(pipelineResult([0.05, 0.05, 0.05, 0.7, 0.05, 0.05, 0.05]), { durationSeconds: 0.02 });
    monitor.observe(pipelineResult([0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1]));
    monitor.observe(pipelineResult([0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1], { abstained: true, abstentionReason: 'max-probability' }));
    const collected = await metrics.collect();
    expect(errors).toEqual([]);

    const expectations: Array<[string, string, readonly number[], number]> = [
      [METRIC_NAMES.confidence, '1', CONFIDENCE_BUCKETS, 3],
      [METRIC_NAMES.margin, '1', MARGIN_BUCKETS, 3],
      [METRIC_NAMES.entropy, 'bit', ENTROPY_BUCKETS, 3],
      [METRIC_NAMES.duration, 's', DURATION_BUCKETS, 1],
    ];
    for (const [name, unit, boundaries, count] of expectations) {
      const h = histogram(collected, name);
      expect(h.descriptor.unit, name).toBe(unit);
      expect(h.dataPoints).toHaveLength(1);
      const point = h.dataPoints[0];
      expect(point.value.buckets.boundaries, name).toEqual([...boundaries]);
      expect(point.value.count, name).toBe(count);
      expect(point.attributes).toEqual({ [ATTR_MODEL_ID]: MODEL_ID, [ATTR_CALIBRATION_ID]: 'temperature:abc' });
    }
    // 0.7 -> le 0.7 (index 5), 0.4 twice -> le 0.4 (index 2).
    expect(histogram(collected, METRIC_NAMES.confidence).dataPoints[0].value.buckets.counts).toEqual([0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0]);

    const predictions = collected.get(METRIC_NAMES.predictions);
    expect(predictions?.dataPointType).toBe(DataPointType.SUM);
    const byLabel = Object.fromEntries((predictions?.dataPoints ?? []).map((p) => [p.attributes.label, p.value]));
    // Every label is exported from the first prediction, at 0 until predicted.
    expect(byLabel).toEqual({ anger: 0, disgust: 0, fear: 0, joy: 1, neutral: 2, sadness: 0, surprise: 0 });
    const abstentions = collected.get(METRIC_NAMES.abstentions);
    expect(abstentions?.dataPoints.map((p) => [p.attributes.reason, p.value])).toEqual([['max-probability', 1]]);
  });

  it('exports drift, alarm and CBPE gauges with bounded attributes only', async () => {
    const { metrics, monitor } = setup();
    const rng = mulberry32(3);
    for (let i = 0; i < 40; i++) monitor.observe(pipelineResult(simulateProbabilities(rng), { id: `secret-${i}`, text: 'secret text' }));
    const collected = await metrics.collect();

    const psi = collected.get(METRIC_NAMES.psi);
    expect(psi?.dataPointType).toBe(DataPointType.GAUGE);
    expect(psi?.dataPoints.map((p) => p.attributes.signal).sort()).toEqual(['confidence', 'entropy', 'labels', 'margin']);
    expect(collected.get(METRIC_NAMES.jsDistance)?.dataPoints).toHaveLength(4);
    expect(collected.get(METRIC_NAMES.ks)?.dataPoints).toHaveLength(3);
    const alarms = collected.get(METRIC_NAMES.alarm)?.dataPoints ?? [];
    expect(alarms).toHaveLength(3 * rulesFor('numeric').length + rulesFor('categorical').length);
    expect(alarms.every((p) => p.value === 0)).toBe(true);
    const status = monitor.status();
    expect(collected.get(METRIC_NAMES.estimatedAccuracy)?.dataPoints[0].value).toBeCloseTo(status.estimatedAccuracy ?? NaN, 12);
    expect(collected.get(METRIC_NAMES.windowSize)?.dataPoints[0].value).toBe(40);
    // No realized accuracy before any feedback.
    expect(collected.get(METRIC_NAMES.realizedAccuracy)?.dataPoints ?? []).toHaveLength(0);

    const allowed = new Set([ATTR_MODEL_ID, ATTR_CALIBRATION_ID, 'label', 'reason', 'signal', 'statistic']);
    for (const metric of collected.values()) {
      for (const point of metric.dataPoints) {
        for (const [key, value] of Object.entries(point.attributes)) {
          expect(allowed.has(key), `${metric.descriptor.name} attribute ${key}`).toBe(true);
          expect(String(value)).not.toMatch(/secret/);
        }
      }
    }
  });

  it('maps abstention texts to rule names so the reason attribute stays bounded', async () => {
    const { metrics, monitor } = setup({ abstentionRules: ['max-probability'] });
    const p = [0.2, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1];
    monitor.observe(pipelineResult(p, { abstained: true, abstentionReason: 'max-probability 0.30 < 0.55' }));
    monitor.observe(pipelineResult(p, { abstained: true, abstentionReason: 'the text was "I hate mondays"' }));
    const points = (await metrics.collect()).get(METRIC_NAMES.abstentions)?.dataPoints ?? [];
    expect(points.map((x) => x.attributes.reason).sort()).toEqual(['max-probability', 'other']);
  });

  it('stops exporting gauges after an idempotent shutdown', async () => {
    const { metrics, monitor } = setup();
    monitor.observe(pipelineResult(ONE_HOT_JOY));
    await monitor.shutdown();
    await monitor.shutdown();
    monitor.observe(pipelineResult(ONE_HOT_JOY));
    const collected = await metrics.collect();
    expect(collected.get(METRIC_NAMES.psi)?.dataPoints ?? []).toHaveLength(0);
    expect(histogram(collected, METRIC_NAMES.confidence).dataPoints[0].value.count).toBe(1);
  });
});

describe('createDriftMonitor: alarms', () => {
  it('fires once when a statistic crosses into alarm and re-arms after it clears', () => {
    let now = 1_000;
    const fired: DriftAlarm[] = [];
    const { monitor } = setup({ window: { size: 100 }, now: () => now, onAlarm: (a) => fired.push(a) });
    const rng = mulberry32(21);
    const observeInDistribution = (count: number): void => {
      for (let i = 0; i < count; i++) monitor.observe(pipelineResult(simulateProbabilities(rng)));
    };

    observeInDistribution(100);
    expect(fired).toEqual([]);

    now = 2_000;
    for (let i = 0; i < 100; i++) monitor.observe(pipelineResult(ONE_HOT_JOY));
    const labelAlarms = fired.filter((a) => a.signal === 'labels');
    expect(labelAlarms.map((a) => a.statistic).sort()).toEqual(['chi-square', 'psi']);
    for (const a of fired) {
      expect(a).toEqual({
        time: 2_000,
        index: expect.any(Number),
        statistic: expect.stringMatching(new RegExp(`^(${BUILTIN_DRIFT_STATISTICS.map((p) => p.name).join('|')})$`)),
        signal: expect.stringMatching(/^(confidence|margin|entropy|labels)$/),
        value: expect.any(Number),
        threshold: expect.any(Number),
        reason: expect.any(String),
      });
      expect(a.index).toBeGreaterThanOrEqual(100);
      expect(a.index).toBeLessThan(200);
      expect(a.value).toBeGreaterThan(a.threshold);
    }
    // Once per crossing: still in alarm, nothing new fired.
    const firedSoFar = fired.length;
    for (let i = 0; i < 50; i++) monitor.observe(pipelineResult(ONE_HOT_JOY));
    expect(fired).toHaveLength(firedSoFar);
    expect(monitor.status().alarms.map((a) => `${a.signal}/${a.statistic}`)).toEqual(
      expect.arrayContaining(['labels/psi', 'labels/chi-square']),
    );

    // Back to normal: the window refills with in-distribution traffic and every alarm clears.
    observeInDistribution(100);
    expect(monitor.status().alarms).toEqual([]);

    now = 3_000;
    for (let i = 0; i < 100; i++) monitor.observe(pipelineResult(ONE_HOT_JOY));
    const rearmed = fired.slice(firedSoFar).filter((a) => a.signal === 'labels');
    expect(rearmed.map((a) => a.statistic).sort()).toEqual(['chi-square', 'psi']);
    expect(rearmed.every((a) => a.time === 3_000 && a.index >= 350)).toBe(true);
  });

  it('status reports the window against the reference', () => {
    const { monitor } = setup({ window: { size: 50 } });
    for (let i = 0; i < 60; i++) monitor.observe(pipelineResult(ONE_HOT_JOY));
    const s = monitor.status();
    expect(s.observed).toBe(60);
    expect(s.window).toBe(50);
    expect(s.signals.labels.statistics.n).toBe(50);
    expect(s.signals.labels.statistics.m).toBe(reference.n);
    expect(s.signals.labels.decisions.map((d) => d.statistic)).toEqual(rulesFor('categorical'));
    expect(s.signals.confidence.decisions.map((d) => d.statistic)).toEqual(rulesFor('numeric'));
    expect(rulesFor('categorical')).toEqual(expect.arrayContaining(['psi', 'chi-square']));
    expect(rulesFor('numeric')).toEqual(expect.arrayContaining(['psi', 'ks']));
    expect(s.estimatedAccuracy).toBe(1);
    expect(s.referenceMeanConfidence).toBeCloseTo(reference.mean_confidence, 12);
  });

  it('status exposes bucket boundaries, reference counts and window counts per signal', () => {
    const { monitor } = setup({ window: { size: 50 } });
    for (let i = 0; i < 60; i++) monitor.observe(pipelineResult(ONE_HOT_JOY));
    const s = monitor.status();
    expect(s.labels).toEqual([...LABELS]);
    expect(s.signals.confidence.buckets).toEqual([...CONFIDENCE_BUCKETS]);
    expect(s.signals.margin.buckets).toEqual([...MARGIN_BUCKETS]);
    expect(s.signals.entropy.buckets).toEqual([...ENTROPY_BUCKETS]);
    expect(s.signals.labels.buckets).toEqual([]);
    for (const signal of ['confidence', 'margin', 'entropy', 'labels'] as const) {
      expect(s.signals[signal].referenceCounts).toEqual(reference.counts[signal]);
      expect(s.signals[signal].windowCounts).toHaveLength(reference.counts[signal].length);
      expect(s.signals[signal].windowCounts.reduce((a, b) => a + b, 0)).toBe(50);
    }
    // One-hot joy: confidence 1 (the +Inf bucket), entropy 0 (the first), label joy.
    expect(s.signals.confidence.windowCounts[CONFIDENCE_BUCKETS.length]).toBe(50);
    expect(s.signals.entropy.windowCounts[0]).toBe(50);
    expect(s.signals.labels.windowCounts[LABELS.indexOf('joy')]).toBe(50);
  });

  it('evicts by time with an injected clock', () => {
    let now = 0;
    const { monitor } = setup({ window: { ms: 60_000 }, now: () => now });
    monitor.observe(pipelineResult(ONE_HOT_JOY));
    now = 30_000;
    monitor.observe(pipelineResult(ONE_HOT_JOY));
    expect(monitor.status().window).toBe(2);
    now = 61_000;
    expect(monitor.status().window).toBe(1);
    now = 200_000;
    expect(monitor.status().window).toBe(0);
    expect(monitor.status().estimatedAccuracy).toBeNull();
  });
});

describe('createDriftMonitor: feedback', () => {
  it('tracks realized accuracy of labelled window items and its gap to the confidence', async () => {
    const { metrics, monitor } = setup({ window: { size: 3 } });
    monitor.observe(pipelineResult([0.05, 0.05, 0.05, 0.7, 0.05, 0.05, 0.05]), { id: 'a' }); // joy 0.7
    monitor.observe(pipelineResult([0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1], { id: 'b' } as never)); // neutral 0.4, id on the result
    expect(monitor.recordFeedback('a', 'joy')).toBe(true);
    expect(monitor.recordFeedback('b', 'anger')).toBe(true);
    expect(monitor.recordFeedback('zzz', 'joy')).toBe(false);
    let s = monitor.status();
    expect(s.labelled).toBe(2);
    expect(s.realizedAccuracy).toBe(0.5);
    expect(s.accuracyGap).toBeCloseTo((0.7 + 0.4) / 2 - 0.5, 12);

    const collected = await metrics.collect();
    expect(collected.get(METRIC_NAMES.realizedAccuracy)?.dataPoints[0].value).toBe(0.5);
    expect(collected.get(METRIC_NAMES.accuracyGap)?.dataPoints[0].value).toBeCloseTo(0.05, 12);

    // Feedback can be corrected; items leaving the window take their labels with them.
    expect(monitor.recordFeedback('b', 'neutral')).toBe(true);
    expect(monitor.status().realizedAccuracy).toBe(1);
    monitor.observe(pipelineResult(ONE_HOT_JOY));
    monitor.observe(pipelineResult(ONE_HOT_JOY)); // evicts a
    s = monitor.status();
    expect(s.labelled).toBe(1);
    expect(monitor.recordFeedback('a', 'joy')).toBe(false);
  });

  it('rejects a label the model does not have', () => {
    const { monitor } = setup();
    expect(() => monitor.recordFeedback('a', 'boredom')).toThrow(expect.objectContaining({ code: 'UNKNOWN_LABEL' }));
  });
});

describe('createDriftMonitor: failure isolation', () => {
  it('never throws out of observe when the meter throws on record', () => {
    const errors: unknown[] = [];
    const monitor = createDriftMonitor({ reference, meter: createThrowingRecordMeter(), onError: (e) => errors.push(e) });
    expect(() => monitor.observe(pipelineResult(ONE_HOT_JOY), { durationSeconds: 0.1 })).not.toThrow();
    expect(errors.length).toBeGreaterThan(0);
    expect(monitor.status().window).toBe(1);
  });

  it('falls back to no metrics when instruments cannot be created', () => {
    const errors: unknown[] = [];
    const monitor = createDriftMonitor({ reference, meter: createThrowingMeter(), onError: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
    monitor.observe(pipelineResult(ONE_HOT_JOY));
    expect(monitor.status().observed).toBe(1);
  });

  it('isolates throwing onAlarm and onError callbacks', () => {
    const monitor = createDriftMonitor({
      reference,
      window: { size: 40 },
      meter: createThrowingRecordMeter(),
      onAlarm: () => {
        throw new Error('pager down');
      },
      onError: () => {
        throw new Error('logger down');
      },
    });
    for (let i = 0; i < 60; i++) expect(() => monitor.observe(pipelineResult(ONE_HOT_JOY))).not.toThrow();
    expect(monitor.status().alarms.length).toBeGreaterThan(0);
  });

  it('reports malformed results as INVALID_INPUT and skips them', () => {
    const { monitor, errors } = setup();
    const broken = pipelineResult(ONE_HOT_JOY);
    delete (broken.probabilities as Record<string, number>).fear;
    monitor.observe(broken);
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT' })]);
    expect(monitor.status().observed).toBe(0);
  });

  it('rejects bad configuration at construction with coded errors', () => {
    expect(() => createDriftMonitor({ reference, window: { size: 0 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createDriftMonitor({ reference, alarm: { alpha: 2 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createDriftMonitor({ reference: { ...reference, version: 2 } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});

describe('createDriftMonitor: as a pipeline observer', () => {
  it("sees every result of core's pipeline", async () => {
    const { monitor } = setup();
    const engine = { labels: LABELS, classify: async () => [] } as unknown as InferenceEngine;
    const pipeline = createPipeline({ engine, observers: [monitor] });
    const rng = mulberry32(5);
    const predictions: Prediction[] = Array.from({ length: 10 }, () => {
      const r = pipelineResult(simulateProbabilities(rng));
      return { text: r.text, label: r.label, labelId: r.labelId, score: r.score, probabilities: r.probabilities, logits: r.logits, tokens: 5, truncated: false, windows: 1 };
    });
    await pipeline.process(predictions);
    expect(monitor.kind).toBe('observer');
    expect(monitor.name).toBe('drift-monitor');
    expect(monitor.status().observed).toBe(10);
  });
});
