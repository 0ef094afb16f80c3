import type { Attributes, BatchObservableResult, Counter, Histogram, Meter, ObservableGauge } from '@opentelemetry/api';
import type { DriftStatisticPlugin, PluginRegistry } from '@glassbox/core';
import { DURATION_BUCKETS } from './buckets.js';
import type { DriftStatus } from './drift-types.js';
import { DRIFT_SIGNALS } from './drift-types.js';
import type { ReferenceProfile } from './reference-profile.js';

/**
 * The OpenTelemetry instruments of the monitor, each defined here once: the per-prediction
 * counters and latency histogram (also used without a reference, by the monitor session), the
 * signal histograms (bucketed as the reference) and the drift gauges read at collection.
 */

/** Attribute keys on every glassbox metric (the only per-model attributes: bounded). */
export const ATTR_MODEL_ID = 'model.id';
export const ATTR_CALIBRATION_ID = 'calibration.id';

/** The gauge of a drift statistic: glassbox.drift.<name, '-' as '_'> (psi, js_distance, ks, chi_square, ...). */
export function driftMetricName(statistic: string): string {
  return `glassbox.drift.${statistic.replace(/-/g, '_')}`;
}

/** Metric names, as instruments are created (Prometheus turns dots into underscores). */
export const METRIC_NAMES = Object.freeze({
  confidence: 'glassbox.prediction.confidence',
  margin: 'glassbox.prediction.margin',
  entropy: 'glassbox.prediction.entropy',
  predictions: 'glassbox.predictions',
  abstentions: 'glassbox.abstentions',
  duration: 'glassbox.inference.duration',
  psi: driftMetricName('psi'),
  jsDistance: driftMetricName('js-distance'),
  ks: driftMetricName('ks'),
  alarm: 'glassbox.drift.alarm',
  windowSize: 'glassbox.drift.window_size',
  estimatedAccuracy: 'glassbox.performance.estimated_accuracy',
  realizedAccuracy: 'glassbox.performance.realized_accuracy',
  accuracyGap: 'glassbox.performance.accuracy_gap',
});

/** The instruments every prediction reaches, with or without a drift monitor. */
export interface PredictionInstruments {
  predictions: Counter;
  abstentions: Counter;
  duration: Histogram;
}

/** The drift monitor's instruments: the prediction instruments, the signal histograms and the gauges. */
export interface DriftInstruments extends PredictionInstruments {
  confidence: Histogram;
  margin: Histogram;
  entropy: Histogram;
  gauges: ObservableGauge[];
  /** One gauge per registered drift statistic, by statistic name. */
  statistics: Map<string, { gauge: ObservableGauge; plugin: DriftStatisticPlugin }>;
  alarm: ObservableGauge;
  windowSize: ObservableGauge;
  estimatedAccuracy: ObservableGauge;
  realizedAccuracy: ObservableGauge;
  accuracyGap: ObservableGauge;
}

function histogram(meter: Meter, name: string, description: string, unit: string, boundaries: readonly number[]): Histogram {
  return meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: [...boundaries] } });
}

/** Predictions per label, abstentions per rule, inference latency. Throws what the meter throws. */
export function createPredictionInstruments(meter: Meter): PredictionInstruments {
  return {
    duration: histogram(meter, METRIC_NAMES.duration, 'Inference latency.', 's', DURATION_BUCKETS),
    predictions: meter.createCounter(METRIC_NAMES.predictions, { description: 'Predictions, by predicted label.', unit: '{prediction}' }),
    abstentions: meter.createCounter(METRIC_NAMES.abstentions, { description: 'Abstentions, by rule.', unit: '{prediction}' }),
  };
}

/** All of the drift monitor's instruments, histograms bucketed as the reference. Throws what the meter throws. */
export function createDriftInstruments(meter: Meter, reference: ReferenceProfile, registry: PluginRegistry<DriftStatisticPlugin>): DriftInstruments {
  const gauge = (name: string, description: string, unit = '1'): ObservableGauge => meter.createObservableGauge(name, { description, unit });
  const statistics = new Map(
    registry.entries().map(({ plugin }) => {
      const on = plugin.signals.length === 2 ? 'per signal' : plugin.signals[0] === 'numeric' ? 'per numeric signal' : 'on the labels';
      return [plugin.name, { plugin, gauge: gauge(driftMetricName(plugin.name), `${plugin.description} Drift window against the reference, ${on}.`) }] as const;
    }),
  );
  const alarm = gauge(METRIC_NAMES.alarm, '1 while a drift statistic is in alarm, else 0; per signal and statistic.');
  const windowSize = gauge(METRIC_NAMES.windowSize, 'Predictions in the drift window.', '{prediction}');
  const estimatedAccuracy = gauge(METRIC_NAMES.estimatedAccuracy, 'CBPE: mean calibrated top-class probability over the drift window.');
  const realizedAccuracy = gauge(METRIC_NAMES.realizedAccuracy, 'Accuracy over drift-window predictions with feedback labels.');
  const accuracyGap = gauge(METRIC_NAMES.accuracyGap, 'Mean top-class probability minus accuracy over labelled drift-window predictions.');
  return {
    confidence: histogram(meter, METRIC_NAMES.confidence, 'Top-class probability of each prediction.', '1', reference.buckets.confidence),
    margin: histogram(meter, METRIC_NAMES.margin, 'Top-1 minus top-2 probability of each prediction.', '1', reference.buckets.margin),
    entropy: histogram(meter, METRIC_NAMES.entropy, 'Entropy of the predicted distribution, in bits.', 'bit', reference.buckets.entropy),
    ...createPredictionInstruments(meter),
    gauges: [...[...statistics.values()].map((s) => s.gauge), alarm, windowSize, estimatedAccuracy, realizedAccuracy, accuracyGap],
    statistics,
    alarm,
    windowSize,
    estimatedAccuracy,
    realizedAccuracy,
    accuracyGap,
  };
}

/** Writes one collection of the drift gauges from a monitor status; `base` are the model's attributes. */
export function observeDriftGauges(result: BatchObservableResult, i: DriftInstruments, status: DriftStatus, base: Attributes): void {
  for (const signal of DRIFT_SIGNALS) {
    const { statistics, decisions } = status.signals[signal];
    const attributes = { ...base, signal };
    for (const [name, value] of Object.entries(statistics.values)) {
      const gauge = i.statistics.get(name)?.gauge;
      if (gauge) result.observe(gauge, value, attributes);
    }
    for (const d of decisions) result.observe(i.alarm, d.alarm ? 1 : 0, { ...attributes, statistic: d.statistic });
  }
  result.observe(i.windowSize, status.window, base);
  if (status.estimatedAccuracy !== null) result.observe(i.estimatedAccuracy, status.estimatedAccuracy, base);
  if (status.realizedAccuracy !== null) result.observe(i.realizedAccuracy, status.realizedAccuracy, base);
  if (status.accuracyGap !== null) result.observe(i.accuracyGap, status.accuracyGap, base);
}
