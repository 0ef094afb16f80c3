/**
 * The headline figures of BENCHMARKS.json, computed from the benchmarks' metrics, and the issue's
 * targets they are checked against. A figure whose inputs were not measured (a benchmark skipped,
 * no int8 graph) is null, and its target reads "not measured", never met.
 */

/** Throughput ratios (higher is better) and overheads (lower is better) of the bench model. */
export interface Ratios {
  batch_vs_transformersjs: number | null;
  batch_vs_bare: number | null;
  int8_vs_transformersjs_q8: number | null;
  int8_vs_bare: number | null;
  api_latency_vs_bare: number | null;
  monitor_overhead: number | null;
}

export interface Headline {
  ratios: Ratios;
  int8_latency_ms_32_tokens: number | null;
  matmul_peak_fraction: number | null;
}

export interface TargetCheck {
  name: string;
  value: number | null;
  /** "≥ 2.5" or "≤ 0.15"-style bound. */
  bound: string;
  met: boolean;
}

type Metrics = Readonly<Record<string, number>>;

function get(metrics: Metrics, key: string): number | null {
  const value = metrics[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function divide(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** The best of the peer's batch sizes on a set and variant (null when none was measured). */
function bestPeer(metrics: Metrics, prefix: string): number | null {
  const values = Object.entries(metrics)
    .filter(([k]) => k.startsWith(`${prefix}.transformersjs_b`) && !k.endsWith('.gflops'))
    .map(([, v]) => v);
  return values.length > 0 ? Math.max(...values) : null;
}

/**
 * The headline from the metrics: throughputs on the bench model's dev set; the API's median
 * single-request latency at 32 tokens over the bare session's; the monitor's cost per prediction
 * over the API's single-request latency (both in µs); glassbox int8 batch-1 latency at 32 tokens;
 * glassbox fp32 GFLOP/s on the 64-token set over the measured matmul peak.
 */
export function headline(metrics: Metrics): Headline {
  const dev = (variant: string, side: string) => get(metrics, `bench.dev.${variant}.${side}`);
  const apiLatency = get(metrics, 'bench.latency32.fp32.api_ms');
  const monitorMicros = get(metrics, 'monitor.overhead_us');
  return {
    ratios: {
      batch_vs_transformersjs: divide(dev('fp32', 'glassbox'), bestPeer(metrics, 'bench.dev.fp32')),
      batch_vs_bare: divide(dev('fp32', 'glassbox'), dev('fp32', 'bare')),
      int8_vs_transformersjs_q8: divide(dev('int8', 'glassbox'), bestPeer(metrics, 'bench.dev.int8')),
      int8_vs_bare: divide(dev('int8', 'glassbox'), dev('int8', 'bare')),
      api_latency_vs_bare: divide(apiLatency, get(metrics, 'bench.latency32.fp32.bare_ms')),
      monitor_overhead: divide(monitorMicros, apiLatency === null ? null : apiLatency * 1000),
    },
    int8_latency_ms_32_tokens: get(metrics, 'bench.latency32.int8.glassbox_ms'),
    matmul_peak_fraction: divide(get(metrics, 'bench.64.fp32.glassbox.gflops'), get(metrics, 'matmul.peak_gflops')),
  };
}

/** The targets, checked. */
export function checkTargets(h: Headline): TargetCheck[] {
  const at = (name: string, value: number | null, min?: number, max?: number): TargetCheck => ({
    name,
    value,
    bound: min !== undefined ? `≥ ${min}` : `≤ ${max}`,
    met: value !== null && (min === undefined || value >= min) && (max === undefined || value <= max),
  });
  const r = h.ratios;
  return [
    at('batch_vs_transformersjs', r.batch_vs_transformersjs, 2.5),
    at('batch_vs_bare', r.batch_vs_bare, 0.95),
    at('int8_vs_transformersjs_q8', r.int8_vs_transformersjs_q8, 2),
    at('int8_vs_bare', r.int8_vs_bare, 0.95),
    at('int8_latency_ms_32_tokens', h.int8_latency_ms_32_tokens, undefined, 4.5),
    at('api_latency_vs_bare', r.api_latency_vs_bare, undefined, 1.15),
    at('monitor_overhead', r.monitor_overhead, undefined, 0.02),
    at('matmul_peak_fraction', h.matmul_peak_fraction, 0.8),
  ];
}
