/**
 * Test doubles for the monitor tests: an in-process metric reader, hand-built PipelineResults
 * and a meter that throws. Test-only (excluded from the library build).
 */
import type { PipelineResult } from '@glassbox/core';
import type { Meter } from '@opentelemetry/api';
import { createNoopMeter } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { LABELS } from './test-simulation.js';

/** A pull reader whose `collect()` the test calls. */
class TestMetricReader extends MetricReader {
  // Nothing buffered, nothing to release: collect() pulls straight from the SDK.
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TestMetrics {
  meter: Meter;
  /** Metrics collected now, by instrument name. */
  collect(): Promise<Map<string, MetricData>>;
  shutdown(): Promise<void>;
}

export function createTestMetrics(): TestMetrics {
  const reader = new TestMetricReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter('test'),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      const out = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out.set(m.descriptor.name, m);
      return out;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** A PipelineResult-like object for `probabilities` over the 7 emotion labels. */
export function pipelineResult(probabilities: ArrayLike<number>, extra: Partial<PipelineResult> & { id?: string } = {}): PipelineResult {
  const record: Record<string, number> = {};
  LABELS.forEach((l, j) => {
    record[l] = probabilities[j];
  });
  let best = 0;
  for (let j = 1; j < LABELS.length; j++) if (probabilities[j] > probabilities[best]) best = j;
  return {
    text: 'never exported',
    label: LABELS[best],
    labelId: best,
    score: probabilities[best],
    probabilities: record,
    logits: Array.from(probabilities, (p) => Math.log(Math.max(p, 1e-12))),
    tokens: 5,
    truncated: false,
    windows: 1,
    raw: { label: LABELS[best], score: probabilities[best], probabilities: record },
    calibrator: null,
    abstained: false,
    abstentionReason: null,
    ...extra,
  };
}

/** A meter whose instruments are created fine but throw on every record/add. */
export function createThrowingRecordMeter(): Meter {
  const noop = createNoopMeter();
  const boom = (): never => {
    throw new Error('meter exploded');
  };
  const meter: Partial<Meter> = {
    createHistogram: () => ({ record: boom }),
    createCounter: () => ({ add: boom }),
    createObservableGauge: (name, options) => noop.createObservableGauge(name, options),
    addBatchObservableCallback: () => undefined,
    removeBatchObservableCallback: () => undefined,
  };
  return meter as Meter;
}

/** A meter that throws as soon as an instrument is created. */
export function createThrowingMeter(): Meter {
  const boom = (): never => {
    throw new Error('no instruments today');
  };
  const meter: Partial<Meter> = { createHistogram: boom, createCounter: boom, createObservableGauge: boom };
  return meter as Meter;
}
