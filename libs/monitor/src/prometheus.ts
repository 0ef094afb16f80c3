import type { IncomingMessage, ServerResponse } from 'node:http';
import { GlassboxError } from '@glassbox/core';
import type { Meter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { IMetricReader, MeterProviderOptions, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricsExporterName, OtelEnv, OtelMetricsConfig } from './otel-env.js';
import { otelMetricsResource, resolveOtelMetricsEnv } from './otel-env.js';

/**
 * One OpenTelemetry `MeterProvider` with a Prometheus pull exporter. By default the exporter
 * starts no server of its own: serve `metricsHandler` (or `metricsText()`) from the app's
 * `/metrics` route instead, so metrics share the app's port, middleware and shutdown.
 *
 * The standard `OTEL_*` variables (see `otel-env.ts`) add push exporters: OTLP/HTTP JSON to a
 * collector, or the console, each on a `PeriodicExportingMetricReader`.
 */

export interface PrometheusOptions {
  /** Start the exporter's own HTTP server. Default true (no server; serve `metricsHandler`). */
  preventServerStart?: boolean;
  /** Port of the exporter's own server. Default 9464. */
  port?: number;
  /** Host of the exporter's own server. Default all interfaces. */
  host?: string;
  /** Path of the exporter's own server. Default '/metrics'. */
  endpoint?: string;
}

export interface MetricsRegistryOptions {
  prometheus?: PrometheusOptions;
  /** More readers (tests', or push exporters beyond those `env` configures). */
  readers?: readonly IMetricReader[];
  /** Merged over the environment's resource (see `otelMetricsResource`); its attributes win. */
  resource?: MeterProviderOptions['resource'];
  /**
   * `OTEL_*` variables that configure push exporters and the resource. Default `process.env`;
   * `false` ignores the environment (Prometheus only, `service.name` "glassbox").
   */
  env?: OtelEnv | false;
  /** Server start, collection and export failures. Default: a process warning. */
  onError?: (error: unknown) => void;
}

export interface MetricsRegistry {
  readonly meterProvider: MeterProvider;
  readonly exporter: PrometheusExporter;
  /** Active exporters, `prometheus` first: e.g. `['prometheus', 'otlp']`. */
  readonly exporters: readonly MetricsExporterName[];
  /** The export configuration read from `env` (defaults when `env` is false). */
  readonly otel: OtelMetricsConfig;
  /** A meter of this provider (default scope '@glassbox/monitor'). */
  meter(name?: string, version?: string): Meter;
  /** Node/express handler answering any request with the text exposition (mount it on `/metrics`). */
  readonly metricsHandler: (request: IncomingMessage, response: ServerResponse) => void;
  /** The current Prometheus text exposition. */
  metricsText(): Promise<string>;
  /** Pushes once more to the push exporters, stops the server (if started) and the provider; idempotent. */
  shutdown(): Promise<void>;
}

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const DEFAULT_SCOPE = '@glassbox/monitor';

const DEFAULT_PROMETHEUS: Required<Omit<PrometheusOptions, 'host'>> & Pick<PrometheusOptions, 'host'> = {
  preventServerStart: true,
  port: PrometheusExporter.DEFAULT_OPTIONS.port,
  host: undefined,
  endpoint: PrometheusExporter.DEFAULT_OPTIONS.endpoint,
};

function resolvePrometheus(options: PrometheusOptions = {}): typeof DEFAULT_PROMETHEUS {
  const resolved = { ...DEFAULT_PROMETHEUS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) {
    throw new GlassboxError('INVALID_OPTION', `prometheus.port must be an integer in 0..65535 (got ${resolved.port}).`);
  }
  if (typeof resolved.endpoint !== 'string' || !resolved.endpoint.startsWith('/')) {
    throw new GlassboxError('INVALID_OPTION', `prometheus.endpoint must be a path starting with "/" (got ${String(resolved.endpoint)}).`);
  }
  return resolved;
}

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core` (not a direct dependency). */
const EXPORT_SUCCESS = 0;

/** `exporter`, reporting each failed export to `onError` (the reader itself only logs through `diag`). */
function reportingFailures(name: MetricsExporterName, exporter: PushMetricExporter, onError: (error: unknown) => void): PushMetricExporter {
  return {
    export: (metrics, resultCallback) =>
      exporter.export(metrics, (result) => {
        if (result.code !== EXPORT_SUCCESS) {
          onError(new GlassboxError('METRICS_EXPORT_FAILED', `${name} metrics export failed: ${result.error?.message ?? 'no reason given'}`, { cause: result.error }));
        }
        resultCallback(result);
      }),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    selectAggregationTemporality: exporter.selectAggregationTemporality?.bind(exporter),
    selectAggregation: exporter.selectAggregation?.bind(exporter),
  };
}

/**
 * A periodic reader per push exporter in `config`. The OTLP exporter gets its URL from `config`; it
 * reads headers, request timeout, compression, temporality and TLS files from `process.env` itself.
 */
function pushReaders(config: OtelMetricsConfig, onError: (error: unknown) => void): IMetricReader[] {
  const exporters: [MetricsExporterName, PushMetricExporter][] = [];
  if (config.otlp) exporters.push(['otlp', new OTLPMetricExporter({ url: config.otlp.url })]);
  if (config.exporters.includes('console')) exporters.push(['console', new ConsoleMetricExporter()]);
  return exporters.map(
    ([name, exporter]) =>
      new PeriodicExportingMetricReader({
        exporter: reportingFailures(name, exporter, onError),
        exportIntervalMillis: config.intervalMs,
        exportTimeoutMillis: config.timeoutMs,
      }),
  );
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  const prometheus = resolvePrometheus(options.prometheus);
  const env = options.env ?? process.env;
  const otel = resolveOtelMetricsEnv(env === false ? {} : env);
  const onError = options.onError ?? ((e: unknown) => process.emitWarning(`glassbox metrics: ${(e as Error)?.message ?? e}`));
  const exporter = new PrometheusExporter(
    { preventServerStart: prometheus.preventServerStart, port: prometheus.port, host: prometheus.host, endpoint: prometheus.endpoint },
    (error) => {
      if (error) onError(error);
    },
  );
  // Serialises exactly as the exporter's own handler does (its default options).
  const serializer = new PrometheusSerializer();
  const meterProvider = new MeterProvider({
    resource: otelMetricsResource(env).merge(options.resource ?? null),
    readers: [exporter, ...pushReaders(otel, onError), ...(options.readers ?? [])],
  });
  let shutdownPromise: Promise<void> | null = null;

  async function metricsText(): Promise<string> {
    const { resourceMetrics, errors } = await exporter.collect();
    for (const e of errors) onError(e);
    return serializer.serialize(resourceMetrics);
  }

  return {
    meterProvider,
    exporter,
    exporters: otel.exporters,
    otel,
    meter: (name = DEFAULT_SCOPE, version) => meterProvider.getMeter(name, version),
    metricsHandler: (_request, response) => {
      metricsText().then(
        (text) => {
          response.statusCode = 200;
          response.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
          response.end(text);
        },
        (error: unknown) => {
          onError(error);
          response.statusCode = 500;
          response.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
          response.end(`# failed to collect metrics: ${(error as Error)?.message ?? error}\n`);
        },
      );
    },
    metricsText,
    shutdown() {
      shutdownPromise ??= meterProvider.shutdown().catch((e: unknown) => onError(e));
      return shutdownPromise;
    },
  };
}
