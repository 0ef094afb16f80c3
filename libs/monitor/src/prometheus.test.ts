import type { ServerResponse } from 'node:http';
import { mulberry32 } from '@glassbox/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDriftMonitor } from './drift-monitor.js';
import { driftStatistics, fromCumulative } from './drift-statistics.js';
import { createMetricsRegistry, PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import type { MetricsRegistry } from './prometheus.js';
import { buildReferenceProfile } from './reference-profile.js';
import { pipelineResult } from './test-metrics.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';

const rng = mulberry32(17);
const reference = buildReferenceProfile(
  Array.from({ length: 500 }, () => simulateProbabilities(rng)),
  LABELS,
  'sha256:prom',
);

const registries: MetricsRegistry[] = [];
afterEach(async () => {
  while (registries.length > 0) await registries.pop()?.shutdown();
});

function observed(count: number): { registry: MetricsRegistry; monitor: ReturnType<typeof createDriftMonitor> } {
  const registry = createMetricsRegistry({ env: false });
  registries.push(registry);
  const monitor = createDriftMonitor({ reference, meter: registry.meter() });
  for (let i = 0; i < count; i++) {
    monitor.observe(pipelineResult(simulateProbabilities(rng), i === 0 ? { abstained: true, abstentionReason: 'max-probability' } : {}), {
      durationSeconds: 0.01,
    });
  }
  return { registry, monitor };
}

describe('createMetricsRegistry', () => {
  it('exposes histograms as cumulative le buckets and counters with _total', async () => {
    const { registry } = observed(25);
    const text = await registry.metricsText();
    expect(text).toMatch(/^glassbox_prediction_confidence_bucket\{[^}]*le="0\.9"\} \d+$/m);
    expect(text).toMatch(/^glassbox_prediction_confidence_bucket\{[^}]*le="\+Inf"\} 25$/m);
    expect(text).toMatch(/^glassbox_prediction_margin_bucket\{[^}]*le="0\.05"\} \d+$/m);
    expect(text).toMatch(/^glassbox_prediction_entropy_bucket\{[^}]*le="2\.75"\} \d+$/m);
    expect(text).toMatch(/^glassbox_inference_duration_bucket\{[^}]*le="0\.01"\} 25$/m);
    expect(text).toMatch(/^# TYPE glassbox_predictions_total counter$/m);
    expect(text).toMatch(/^glassbox_predictions_total\{[^}]*label="(anger|disgust|fear|joy|neutral|sadness|surprise)"[^}]*\} \d+$/m);
    expect(text).toMatch(/^glassbox_abstentions_total\{[^}]*reason="max-probability"[^}]*\} 1$/m);
    expect(text).toMatch(/^glassbox_drift_psi\{[^}]*signal="labels"[^}]*\} [\d.e-]+$/m);
    expect(text).toMatch(/^glassbox_drift_alarm\{[^}]*statistic="chi-square"[^}]*\} 0$/m);
    expect(text).toMatch(/^glassbox_performance_estimated_accuracy\{[^}]*\} [\d.]+$/m);
    expect(text).toMatch(/model_id="sha256:prom"/);
  });

  it('exports every label\'s prediction counter from the first prediction, at 0 until predicted', async () => {
    // Prometheus's increase() misses the first count of a series it never scraped: the fleet's label
    // drift rules would lose a burst of a label a replica had not predicted before.
    const { registry } = observed(1);
    const text = await registry.metricsText();
    const counts = new Map([...text.matchAll(/^glassbox_predictions_total\{[^}]*label="([a-z]+)"[^}]*\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    expect([...counts.keys()].sort()).toEqual([...LABELS].sort());
    expect([...counts.values()].sort()).toEqual([0, 0, 0, 0, 0, 0, 1]);
  });

  it('gives the same drift from scraped buckets as from the in-process window', async () => {
    const { registry, monitor } = observed(60);
    const text = await registry.metricsText();
    const cumulative = [...text.matchAll(/^glassbox_prediction_confidence_bucket\{[^}]*\} (\d+)$/gm)].map((m) => Number(m[1]));
    expect(cumulative).toHaveLength(reference.buckets.confidence.length + 1);
    const fromScrape = driftStatistics(fromCumulative(cumulative), reference.counts.confidence, { edges: reference.buckets.confidence });
    expect(fromScrape).toEqual(monitor.status().signals.confidence.statistics);
  });

  it('serves the exposition through a request handler', async () => {
    const { registry } = observed(3);
    const response = await new Promise<{ status: number; type: unknown; body: string }>((resolve) => {
      const headers: Record<string, unknown> = {};
      const fake = {
        statusCode: 0,
        setHeader: (name: string, value: unknown) => {
          headers[name.toLowerCase()] = value;
        },
        end(body: string) {
          resolve({ status: this.statusCode, type: headers['content-type'], body });
        },
      };
      registry.metricsHandler({} as never, fake as unknown as ServerResponse);
    });
    expect(response.status).toBe(200);
    expect(response.type).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(response.body).toMatch(/^glassbox_predictions_total\{/m);
  });

  it('reads the OTEL_* variables from process.env by default', async () => {
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'none');
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-process-env');
    try {
      const registry = createMetricsRegistry();
      registries.push(registry);
      expect(registry.exporters).toEqual(['prometheus']);
      expect(await registry.metricsText()).toMatch(/^target_info\{[^}]*service_name="from-process-env"/m);
      vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', 'abc');
      expect(() => createMetricsRegistry()).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('shuts down idempotently and validates its options', async () => {
    const registry = createMetricsRegistry({ prometheus: { preventServerStart: true } });
    await registry.shutdown();
    await registry.shutdown();
    expect(() => createMetricsRegistry({ prometheus: { port: 70000 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createMetricsRegistry({ prometheus: { endpoint: 'metrics' } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
