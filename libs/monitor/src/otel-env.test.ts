import { afterEach, describe, expect, it, vi } from 'vitest';
import { OTEL_METRICS_DEFAULTS, otelMetricsResource, resolveOtelMetricsEnv } from './otel-env.js';

const invalidOption = (variable: string) => expect.objectContaining({ code: 'INVALID_OPTION', details: { variable } });

describe('resolveOtelMetricsEnv', () => {
  it('defaults to Prometheus only, a 60 s interval and a 30 s timeout', () => {
    expect(resolveOtelMetricsEnv({})).toEqual({
      sdkDisabled: false,
      exporters: ['prometheus'],
      intervalMs: 60_000,
      timeoutMs: 30_000,
      otlp: null,
      serviceName: 'glassbox',
    });
    expect(resolveOtelMetricsEnv()).toEqual(resolveOtelMetricsEnv({}));
  });

  it('treats blank values as unset', () => {
    expect(resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: ' ', OTEL_METRIC_EXPORT_INTERVAL: '', OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toEqual(
      resolveOtelMetricsEnv({}),
    );
  });

  it('turns OTLP on when an endpoint is set and OTEL_METRICS_EXPORTER is not', () => {
    const specific = resolveOtelMetricsEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://collector:4318/custom/path' });
    expect(specific.exporters).toEqual(['prometheus', 'otlp']);
    expect(specific.otlp).toEqual({ protocol: 'http/json', url: 'http://collector:4318/custom/path' });
    // The general endpoint gets the signal path appended; the specific one is used as given.
    expect(resolveOtelMetricsEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlp?.url).toBe('http://collector:4318/v1/metrics');
    expect(resolveOtelMetricsEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/base/' }).otlp?.url).toBe(
      'https://otel.example/base/v1/metrics',
    );
    expect(
      resolveOtelMetricsEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://b:4318/v1/metrics' }).otlp
        ?.url,
    ).toBe('http://b:4318/v1/metrics');
  });

  it('reads OTEL_METRICS_EXPORTER as a case-insensitive comma list, keeping Prometheus first', () => {
    expect(resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: 'otlp' }).otlp?.url).toBe(`${OTEL_METRICS_DEFAULTS.endpoint}/v1/metrics`);
    expect(resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: ' Console , otlp,otlp ' }).exporters).toEqual(['prometheus', 'console', 'otlp']);
    expect(resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: 'prometheus' }).exporters).toEqual(['prometheus']);
    // An explicit list wins over the endpoint rule.
    expect(resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toMatchObject({
      exporters: ['prometheus', 'console'],
      otlp: null,
    });
  });

  it('turns the push exporters off with none or OTEL_SDK_DISABLED, keeping Prometheus', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(resolveOtelMetricsEnv({ ...endpoint, OTEL_METRICS_EXPORTER: 'none' })).toMatchObject({ exporters: ['prometheus'], otlp: null });
    expect(resolveOtelMetricsEnv({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toMatchObject({
      sdkDisabled: true,
      exporters: ['prometheus'],
      otlp: null,
    });
    expect(resolveOtelMetricsEnv({ ...endpoint, OTEL_SDK_DISABLED: 'false' }).exporters).toEqual(['prometheus', 'otlp']);
    expect(() => resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: 'none,otlp' })).toThrow(invalidOption('OTEL_METRICS_EXPORTER'));
  });

  it('rejects unknown exporters, listing the valid ones', () => {
    expect(() => resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: 'otlp,zipkin' })).toThrow(invalidOption('OTEL_METRICS_EXPORTER'));
    expect(() => resolveOtelMetricsEnv({ OTEL_METRICS_EXPORTER: 'zipkin' })).toThrow(/otlp, prometheus, console, none/);
    expect(() => resolveOtelMetricsEnv({ OTEL_SDK_DISABLED: 'yes' })).toThrow(invalidOption('OTEL_SDK_DISABLED'));
  });

  it('reads the export interval and timeout, clamping the default timeout to a shorter interval', () => {
    expect(resolveOtelMetricsEnv({ OTEL_METRIC_EXPORT_INTERVAL: '5000' })).toMatchObject({ intervalMs: 5000, timeoutMs: 5000 });
    expect(resolveOtelMetricsEnv({ OTEL_METRIC_EXPORT_INTERVAL: '10000', OTEL_METRIC_EXPORT_TIMEOUT: '2500' })).toMatchObject({
      intervalMs: 10_000,
      timeoutMs: 2500,
    });
    expect(() => resolveOtelMetricsEnv({ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '2000' })).toThrow(
      invalidOption('OTEL_METRIC_EXPORT_TIMEOUT'),
    );
  });

  it.each(['abc', '0', '-5', '1.5', '1e3', '60s'])('rejects OTEL_METRIC_EXPORT_INTERVAL=%s, naming the variable', (value) => {
    expect(() => resolveOtelMetricsEnv({ OTEL_METRIC_EXPORT_INTERVAL: value })).toThrow(invalidOption('OTEL_METRIC_EXPORT_INTERVAL'));
    expect(() => resolveOtelMetricsEnv({ OTEL_METRIC_EXPORT_INTERVAL: value })).toThrow(/OTEL_METRIC_EXPORT_INTERVAL must be a positive integer/);
    expect(() => resolveOtelMetricsEnv({ OTEL_METRIC_EXPORT_TIMEOUT: value })).toThrow(invalidOption('OTEL_METRIC_EXPORT_TIMEOUT'));
  });

  it('sends http/json only and refuses http/protobuf and grpc while OTLP is on', () => {
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(resolveOtelMetricsEnv({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' }).otlp?.protocol).toBe('http/json');
    expect(() => resolveOtelMetricsEnv({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toThrow(
      invalidOption('OTEL_EXPORTER_OTLP_PROTOCOL'),
    );
    expect(() => resolveOtelMetricsEnv({ ...on, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=grpc is not supported: glassbox sends OTLP metrics as http\/json/);
    // The metrics-specific variable wins over the general one.
    expect(
      resolveOtelMetricsEnv({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' }).otlp?.protocol,
    ).toBe('http/json');
    // A protocol meant for other signals does not matter while metrics are not pushed over OTLP.
    expect(resolveOtelMetricsEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).otlp).toBeNull();
  });

  it('rejects endpoints that are not absolute http(s) URLs', () => {
    expect(() => resolveOtelMetricsEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(invalidOption('OTEL_EXPORTER_OTLP_ENDPOINT'));
    expect(() => resolveOtelMetricsEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: '/v1/metrics' })).toThrow(
      invalidOption('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'),
    );
  });

  it('takes the service name from OTEL_SERVICE_NAME', () => {
    expect(resolveOtelMetricsEnv({ OTEL_SERVICE_NAME: 'emotions-api' }).serviceName).toBe('emotions-api');
  });
});

describe('otelMetricsResource', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('names the service glassbox unless OTEL_SERVICE_NAME says otherwise, over the SDK defaults', () => {
    const ignored = otelMetricsResource(false).attributes;
    expect(ignored['service.name']).toBe('glassbox');
    expect(ignored['telemetry.sdk.language']).toBe('nodejs');
    expect(otelMetricsResource({ OTEL_SERVICE_NAME: 'emotions-api' }).attributes['service.name']).toBe('emotions-api');
  });

  it('adds OTEL_RESOURCE_ATTRIBUTES from process.env, where OTEL_SERVICE_NAME still wins', () => {
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment.name=staging,service.name=from-attributes');
    vi.stubEnv('OTEL_SERVICE_NAME', '');
    expect(otelMetricsResource({}).attributes).toMatchObject({
      'deployment.environment.name': 'staging',
      'service.name': 'from-attributes',
    });
    expect(otelMetricsResource({ OTEL_SERVICE_NAME: 'emotions-api' }).attributes['service.name']).toBe('emotions-api');
    expect(otelMetricsResource(false).attributes['deployment.environment.name']).toBeUndefined();
  });
});
