// The host service on a free loopback port with an in-memory metric reader (tests only).
import { createServer } from 'node:http';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { createHostApp } from '../src/app.mjs';

export async function startHost() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const host = await createHostApp({ meterProvider });
  const server = createServer(host.app);
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    ...host,
    base,
    meterProvider,
    /** Names of every metric the host's provider has, by instrumentation scope. */
    async metricNames() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => `${s.scope.name}:${m.descriptor.name}`));
    },
    post: (path, body) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    async stop() {
      await new Promise((done) => server.close(done));
      await host.close();
      await meterProvider.shutdown();
    },
  };
}
