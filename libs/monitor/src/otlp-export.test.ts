import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '@glassbox/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRIC_NAMES } from './drift-instruments.js';
import { createDriftMonitor } from './drift-monitor.js';
import type { OtelEnv } from './otel-env.js';
import { createMetricsRegistry } from './prometheus.js';
import type { MetricsRegistry } from './prometheus.js';
import { buildReferenceProfile } from './reference-profile.js';
import { pipelineResult } from './test-metrics.js';
import { LABELS, simulateProbabilities } from './test-simulation.js';

/** A loopback OTLP/HTTP receiver: keeps every JSON body posted to /v1/metrics. */
interface Collector {
  url: string;
  requests: { path: string; contentType: string | undefined; body: OtlpRequest }[];
  close(): Promise<void>;
}

/** The parts of an OTLP JSON `ExportMetricsServiceRequest` the tests read. */
interface OtlpRequest {
  resourceMetrics: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeMetrics: {
      metrics: {
        name: string;
        histogram?: {
          aggregationTemporality: number;
          dataPoints: { count: number | string; bucketCounts: (number | string)[]; explicitBounds: number[] }[];
        };
      }[];
    }[];
  }[];
}

async function startCollector(status = 200): Promise<Collector> {
  const requests: Collector['requests'] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/metrics') {
        requests.push({
          path: request.url,
          contentType: request.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest,
        });
      }
      response.statusCode = request.url === '/v1/metrics' ? status : 404;
      response.setHeader('content-type', 'application/json');
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/metrics`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const rng = mulberry32(23);
const reference = buildReferenceProfile(
  Array.from({ length: 300 }, () => simulateProbabilities(rng)),
  LABELS,
  'sha256:otlp',
);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A registry over `env` with a drift monitor that observed `count` predictions. */
function observed(env: OtelEnv | undefined, count: number, onError?: (error: unknown) => void): MetricsRegistry {
  const registry = createMetricsRegistry({ env, onError });
  const monitor = createDriftMonitor({ reference, meter: registry.meter() });
  cleanups.push(() => registry.shutdown(), () => monitor.shutdown());
  for (let i = 0; i < count; i++) monitor.observe(pipelineResult(simulateProbabilities(rng)));
  return registry;
}

describe('OTLP export from the environment', () => {
  it('pushes the confidence histogram with its buckets and the service name on shutdown', async () => {
    const collector = await startCollector();
    cleanups.push(() => collector.close());
    const errors: unknown[] = [];
    // An hour's interval: the only push is the one shutdown() makes.
    const registry = observed(
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: collector.url, OTEL_METRIC_EXPORT_INTERVAL: '3600000', OTEL_SERVICE_NAME: 'glassbox-test' },
      40,
      (e) => errors.push(e),
    );
    expect(registry.exporters).toEqual(['prometheus', 'otlp']);
    expect(registry.otel.otlp).toEqual({ protocol: 'http/json', url: collector.url });
    expect(collector.requests).toHaveLength(0);

    await registry.shutdown();

    expect(errors).toEqual([]);
    expect(collector.requests).toHaveLength(1);
    const [{ contentType, body }] = collector.requests;
    expect(contentType).toBe('application/json');
    const [resourceMetrics] = body.resourceMetrics;
    expect(resourceMetrics.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'glassbox-test' } });
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const confidence = metrics.find((m) => m.name === METRIC_NAMES.confidence);
    expect(confidence?.histogram).toBeDefined();
    const histogram = confidence?.histogram;
    expect(histogram?.aggregationTemporality).toBe(2); // cumulative, what Prometheus also sees
    expect(histogram?.dataPoints).toHaveLength(1);
    const [point] = histogram?.dataPoints ?? [];
    expect(point.explicitBounds).toEqual(reference.buckets.confidence);
    expect(Number(point.count)).toBe(40);
    expect(point.bucketCounts).toHaveLength(reference.buckets.confidence.length + 1);
    expect(point.bucketCounts.reduce<number>((sum, c) => sum + Number(c), 0)).toBe(40);
    expect(metrics.map((m) => m.name)).toEqual(expect.arrayContaining([METRIC_NAMES.predictions, METRIC_NAMES.psi]));
  });

  it('reports a failed export to onError and still shuts down', async () => {
    const collector = await startCollector(400);
    cleanups.push(() => collector.close());
    const errors: unknown[] = [];
    const registry = observed({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: collector.url }, 5, (e) => errors.push(e));
    await expect(registry.shutdown()).resolves.toBeUndefined();
    expect(collector.requests).toHaveLength(1);
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toMatch(/otlp metrics export failed: Bad Request/);
    // Coded, so the server's default handler logs it as one line rather than a stack.
    expect(errors[0]).toMatchObject({ name: 'GlassboxError', code: 'METRICS_EXPORT_FAILED' });
  });

  it('sends nothing without OTLP variables, and exposes Prometheus only', async () => {
    const collector = await startCollector();
    cleanups.push(() => collector.close());
    const registry = observed({ OTEL_SERVICE_NAME: 'glassbox-test', OTEL_METRIC_EXPORT_INTERVAL: '1000' }, 5);
    expect(registry.exporters).toEqual(['prometheus']);
    expect(registry.otel.otlp).toBeNull();
    expect(await registry.metricsText()).toMatch(/^target_info\{[^}]*service_name="glassbox-test"/m);
    await registry.shutdown();
    expect(collector.requests).toHaveLength(0);
  });

  it('prints to the console with OTEL_METRICS_EXPORTER=console', async () => {
    const dir = vi.spyOn(console, 'dir').mockImplementation(() => undefined);
    try {
      const registry = observed({ OTEL_METRICS_EXPORTER: 'console' }, 3);
      expect(registry.exporters).toEqual(['prometheus', 'console']);
      await registry.shutdown();
      const printed = dir.mock.calls.map(([metric]) => (metric as { descriptor: { name: string } }).descriptor.name);
      expect(printed).toContain(METRIC_NAMES.confidence);
    } finally {
      dir.mockRestore();
    }
  });

  it('ignores the environment with env: false, and fails at construction on a bad variable', () => {
    const registry = createMetricsRegistry({ env: false });
    cleanups.push(() => registry.shutdown());
    expect(registry.exporters).toEqual(['prometheus']);
    expect(() => createMetricsRegistry({ env: { OTEL_METRIC_EXPORT_INTERVAL: 'abc' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('OTEL_METRIC_EXPORT_INTERVAL') }),
    );
    expect(() => createMetricsRegistry({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
