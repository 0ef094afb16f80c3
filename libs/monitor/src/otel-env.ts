import { GlassboxError } from '@glassbox/core';
import type { Resource } from '@opentelemetry/resources';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';

/**
 * Reads the OpenTelemetry SDK environment variables that configure metrics export
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 *
 * glassbox choices, where it departs from the SDK spec:
 * - Prometheus is always on: the app serves `/metrics` itself, so `prometheus` in
 *   `OTEL_METRICS_EXPORTER` changes nothing and `none` turns off only the push exporters.
 * - With `OTEL_METRICS_EXPORTER` unset, OTLP is on only when an OTLP endpoint variable is set
 *   (the spec defaults to `otlp`, which would post to localhost:4318 from every dev machine).
 * - `OTEL_SDK_DISABLED=true` turns off the push exporters; `/metrics` stays.
 * - Only `http/json` is sent (what `@opentelemetry/exporter-metrics-otlp-http` speaks), and it is
 *   the default protocol here; `http/protobuf` and `grpc` are refused rather than ignored.
 * - A malformed value throws `INVALID_OPTION` naming the variable, where the spec says to warn
 *   and fall back: a monitor that silently exports nowhere is worse than one that does not start.
 * Empty values count as unset, as in the spec.
 */

/** Environment variables by name, as `process.env`. */
export type OtelEnv = Readonly<Record<string, string | undefined>>;

/** Exporters glassbox can run: `prometheus` (the app's `/metrics`), `otlp`, `console`. */
export type MetricsExporterName = 'prometheus' | 'otlp' | 'console';

/** Values `OTEL_METRICS_EXPORTER` accepts. */
export const OTEL_METRICS_EXPORTER_VALUES = Object.freeze(['otlp', 'prometheus', 'console', 'none'] as const);

/** OTLP transport protocols glassbox can send. */
export const SUPPORTED_OTLP_PROTOCOLS = Object.freeze(['http/json'] as const);

export type OtlpProtocol = (typeof SUPPORTED_OTLP_PROTOCOLS)[number];

/** Defaults of the variables glassbox reads. */
export const OTEL_METRICS_DEFAULTS = Object.freeze({
  intervalMs: 60_000,
  timeoutMs: 30_000,
  protocol: 'http/json' as OtlpProtocol,
  /** `OTEL_EXPORTER_OTLP_ENDPOINT` default of the spec, for OTLP/HTTP. */
  endpoint: 'http://localhost:4318',
  serviceName: 'glassbox',
});

/** Path appended to `OTEL_EXPORTER_OTLP_ENDPOINT` (not to the metrics-specific endpoint). */
const OTLP_METRICS_PATH = 'v1/metrics';

export interface OtlpMetricsConfig {
  protocol: OtlpProtocol;
  /** Full URL the metrics are posted to. */
  url: string;
}

/** What the environment asks of metrics export. */
export interface OtelMetricsConfig {
  /** `OTEL_SDK_DISABLED`. */
  sdkDisabled: boolean;
  /** Active exporters, `prometheus` first (always present). */
  exporters: readonly MetricsExporterName[];
  /** `OTEL_METRIC_EXPORT_INTERVAL`: ms between pushes. */
  intervalMs: number;
  /** `OTEL_METRIC_EXPORT_TIMEOUT`: ms one push may take (default: 30000 or the interval, the smaller). */
  timeoutMs: number;
  /** Set when `exporters` includes `otlp`. */
  otlp: OtlpMetricsConfig | null;
  /** `OTEL_SERVICE_NAME`, else `glassbox` (the resource may still take `service.name` from `OTEL_RESOURCE_ATTRIBUTES`). */
  serviceName: string;
}

/** The value of `name`, or undefined when unset or blank. */
function envValue(env: OtelEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function invalid(name: string, raw: string, expected: string): GlassboxError {
  return new GlassboxError('INVALID_OPTION', `${name} must be ${expected} (got "${raw}").`, { details: { variable: name } });
}

/** A boolean per the spec: `true`/`false`, any case; unset is false. */
function parseEnvBoolean(env: OtelEnv, name: string): boolean {
  const raw = envValue(env, name);
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw invalid(name, raw, '"true" or "false"');
  return lower === 'true';
}

/** A positive integer of milliseconds, or undefined when unset. */
function parseEnvMillis(env: OtelEnv, name: string): number | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(name, raw, 'a positive integer of milliseconds');
  return value;
}

type MetricsExporterValue = (typeof OTEL_METRICS_EXPORTER_VALUES)[number];

/** The comma list of `OTEL_METRICS_EXPORTER`, lower-cased and deduplicated; undefined when unset. */
function parseMetricsExporterList(env: OtelEnv): readonly MetricsExporterValue[] | undefined {
  const name = 'OTEL_METRICS_EXPORTER';
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const values = [...new Set(raw.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== ''))];
  for (const v of values) {
    if (!(OTEL_METRICS_EXPORTER_VALUES as readonly string[]).includes(v)) {
      throw invalid(name, raw, `a comma list of ${OTEL_METRICS_EXPORTER_VALUES.join(', ')}`);
    }
  }
  if (values.includes('none') && values.length > 1) throw invalid(name, raw, '"none" alone, or a list without "none"');
  return values as MetricsExporterValue[];
}

/** `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/json`. */
function resolveOtlpProtocol(env: OtelEnv): OtlpProtocol {
  for (const name of ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const raw = envValue(env, name);
    if (raw === undefined) continue;
    const protocol = SUPPORTED_OTLP_PROTOCOLS.find((p) => p === raw.toLowerCase());
    if (protocol === undefined) {
      throw new GlassboxError(
        'INVALID_OPTION',
        `${name}=${raw} is not supported: glassbox sends OTLP metrics as ${SUPPORTED_OTLP_PROTOCOLS.join(', ')} ` +
          '(@opentelemetry/exporter-metrics-otlp-http), which collectors accept on port 4318. ' +
          'Set OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/json.',
        { details: { variable: name } },
      );
    }
    return protocol;
  }
  return OTEL_METRICS_DEFAULTS.protocol;
}

/** `raw` parsed as an absolute http(s) URL. */
function httpUrl(name: string, raw: string): URL {
  const url = URL.canParse(raw) ? new URL(raw) : null;
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw invalid(name, raw, 'an absolute http(s) URL');
  return url;
}

/**
 * Where metrics go, as the OTLP exporter works it out: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` as
 * given, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics`, else `http://localhost:4318/v1/metrics`.
 */
function resolveOtlpMetricsUrl(env: OtelEnv): string {
  const specific = envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  if (specific !== undefined) return httpUrl('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', specific).href;
  const base = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? OTEL_METRICS_DEFAULTS.endpoint;
  httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base);
  return new URL(`${base.endsWith('/') ? base : `${base}/`}${OTLP_METRICS_PATH}`).href;
}

/** Which exporters run: Prometheus always, the push exporters as the variables say (see the file comment). */
function resolveMetricsExporters(env: OtelEnv, sdkDisabled: boolean): readonly MetricsExporterName[] {
  const list = parseMetricsExporterList(env);
  if (sdkDisabled) return ['prometheus'];
  if (list === undefined) {
    const endpointSet =
      envValue(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') !== undefined || envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined;
    return endpointSet ? ['prometheus', 'otlp'] : ['prometheus'];
  }
  return ['prometheus', ...list.filter((v): v is 'otlp' | 'console' => v === 'otlp' || v === 'console')];
}

/**
 * The metrics export configuration `env` asks for. Pure; throws `INVALID_OPTION` naming the
 * variable for a malformed value. Reads `OTEL_SDK_DISABLED`, `OTEL_METRICS_EXPORTER`,
 * `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_METRIC_EXPORT_TIMEOUT`, `OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL`,
 * `OTEL_EXPORTER_OTLP[_METRICS]_ENDPOINT` and `OTEL_SERVICE_NAME`.
 */
export function resolveOtelMetricsEnv(env: OtelEnv = {}): OtelMetricsConfig {
  const sdkDisabled = parseEnvBoolean(env, 'OTEL_SDK_DISABLED');
  const exporters = resolveMetricsExporters(env, sdkDisabled);
  const intervalMs = parseEnvMillis(env, 'OTEL_METRIC_EXPORT_INTERVAL') ?? OTEL_METRICS_DEFAULTS.intervalMs;
  const timeout = parseEnvMillis(env, 'OTEL_METRIC_EXPORT_TIMEOUT');
  if (timeout !== undefined && timeout > intervalMs) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `OTEL_METRIC_EXPORT_TIMEOUT (${timeout} ms) must not exceed OTEL_METRIC_EXPORT_INTERVAL (${intervalMs} ms).`,
      { details: { variable: 'OTEL_METRIC_EXPORT_TIMEOUT' } },
    );
  }
  const otlp = exporters.includes('otlp') ? { protocol: resolveOtlpProtocol(env), url: resolveOtlpMetricsUrl(env) } : null;
  return {
    sdkDisabled,
    exporters,
    intervalMs,
    timeoutMs: timeout ?? Math.min(OTEL_METRICS_DEFAULTS.timeoutMs, intervalMs),
    otlp,
    serviceName: envValue(env, 'OTEL_SERVICE_NAME') ?? OTEL_METRICS_DEFAULTS.serviceName,
  };
}

/**
 * The resource glassbox metrics carry, later entries winning: the SDK defaults (`telemetry.sdk.*`),
 * `service.name` "glassbox", `OTEL_RESOURCE_ATTRIBUTES` (read by OpenTelemetry's `envDetector`, from
 * `process.env`), then `OTEL_SERVICE_NAME` from `env`. With `env` false only the first two.
 */
export function otelMetricsResource(env: OtelEnv | false): Resource {
  const base = defaultResource().merge(resourceFromAttributes({ 'service.name': OTEL_METRICS_DEFAULTS.serviceName }));
  if (env === false) return base;
  const serviceName = envValue(env, 'OTEL_SERVICE_NAME');
  return base
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(serviceName === undefined ? null : resourceFromAttributes({ 'service.name': serviceName }));
}
