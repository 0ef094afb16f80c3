import { describe, expect, it } from 'vitest';
import { checkTargets, headline, whyMissed } from './ratios.js';

const metrics = {
  'bench.dev.fp32.glassbox': 170,
  'bench.dev.fp32.bare': 160,
  'bench.dev.fp32.transformersjs_b8': 50,
  'bench.dev.fp32.transformersjs_b32': 68,
  'bench.dev.fp32.transformersjs_b32.gflops': 999,
  'bench.dev.int8.glassbox': 380,
  'bench.dev.int8.bare': 400,
  'bench.dev.int8.transformersjs_b8': 150,
  'bench.latency32.fp32.api_ms': 12,
  'bench.latency32.fp32.bare_ms': 10,
  'bench.latency32.fp32.http_floor_ms': 11,
  'bench.latency32.fp32.api.inference_ms': 10.5,
  'bench.serving.w1.texts_per_s': 80,
  'bench.serving.w1spin.texts_per_s': 70,
  'bench.latency32.int8.glassbox_ms': 5,
  'monitor.overhead_us': 60,
  'bench.64.fp32.glassbox.gflops': 240,
  'matmul.peak_gflops': 300,
};

describe('headline', () => {
  it('divides glassbox by the best peer batch size and by the floor, latencies by the floor', () => {
    const h = headline(metrics);
    expect(h.ratios.batch_vs_transformersjs).toBeCloseTo(170 / 68);
    expect(h.ratios.batch_vs_bare).toBeCloseTo(170 / 160);
    expect(h.ratios.int8_vs_transformersjs_q8).toBeCloseTo(380 / 150);
    expect(h.ratios.int8_vs_bare).toBeCloseTo(0.95);
    expect(h.ratios.api_latency_vs_bare).toBeCloseTo(1.2);
    expect(h.ratios.monitor_overhead).toBeCloseTo(60 / 12_000);
    expect(h.int8_latency_ms_32_tokens).toBe(5);
    expect(h.matmul_peak_fraction).toBeCloseTo(0.8);
  });

  it('gives null where an input was not measured (no int8 graph)', () => {
    const fp32Only = Object.fromEntries(Object.entries(metrics).filter(([k]) => !k.includes('int8')));
    const h = headline(fp32Only);
    expect(h.ratios.int8_vs_bare).toBeNull();
    expect(h.ratios.int8_vs_transformersjs_q8).toBeNull();
    expect(h.int8_latency_ms_32_tokens).toBeNull();
    expect(h.ratios.batch_vs_bare).not.toBeNull();
  });
});

describe('checkTargets', () => {
  it('meets lower and upper bounds inclusively and never meets an unmeasured target', () => {
    const checks = new Map(checkTargets(headline({ ...metrics, 'bench.dev.int8.glassbox': undefined as unknown as number })).map((c) => [c.name, c]));
    expect(checks.get('batch_vs_transformersjs')?.met).toBe(true);
    expect(checks.get('api_latency_vs_bare')).toMatchObject({ met: false, bound: '≤ 1.15' });
    expect(checks.get('matmul_peak_fraction')?.met).toBe(true);
    expect(checks.get('int8_vs_bare')).toMatchObject({ value: null, met: false });
    expect(checks.get('monitor_overhead')?.met).toBe(true);
  });
});

describe('whyMissed', () => {
  it('explains each missed target from the same run and stays silent on met or unmeasured ones', () => {
    const run = { ...metrics, 'bench.64.fp32.glassbox.gflops': 150, 'bench.64.fp32.bare.gflops': 160, 'bench.profile64.fp32.MatMul': 0.7, 'bench.profile64.fp32.BiasGelu': 0.2, 'bench.latency32.int8.bare_ms': 6, 'bench.latency32.int8.glassbox_ms': 6.2 };
    const checks = checkTargets(headline(run));
    const why = whyMissed(checks, run);
    expect(why.find((w) => w.startsWith('matmul_peak_fraction'))).toMatch(/MatMul 70%, BiasGelu 20%.*0\.533 of the peak/);
    expect(why.find((w) => w.startsWith('int8_latency_ms_32_tokens'))).toMatch(/took 6 ms.*already above 4\.5 ms/);
    const api = why.find((w) => w.startsWith('api_latency_vs_bare'));
    expect(api).toMatch(/12 ms through the API/);
    expect(api).toMatch(/minimal node:http server .* took 11 ms \(1\.1x bare\)/);
    expect(api).toMatch(/inference 10\.5 ms/);
    expect(api).toMatch(/served 70 texts\/s under 16 clients against 80 without, so the default stays off/);
    expect(why.some((w) => w.startsWith('batch_vs_transformersjs'))).toBe(false);
    expect(why).toHaveLength(checks.filter((c) => !c.met && c.value !== null).length);
  });
});
