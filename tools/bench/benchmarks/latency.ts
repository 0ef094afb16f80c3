/**
 * Batch-1 latency at 32 tokens on the bench model: one text per call, one call at a time, as an
 * interactive caller sends them. Bare ONNX Runtime on a pre-tokenized [1 x 32] input (the floor),
 * glassbox's engine at its defaults (fp32 and int8), and one HTTP request at a time to the API
 * server on loopback (fp32), all interleaved.
 */
import { performance } from 'node:perf_hooks';
import { createInferenceEngine, loadModelBundle, type InferenceEngine, type ModelVariant } from '@glassbox/core';
import type { BenchResult, Benchmark } from '../bench-types.js';
import { num } from '../format.js';
import { createLoadClient } from '../http-load.js';
import { interleave, quantile, type Contender } from '../measure.js';
import { benchModel } from '../models.js';
import { bareSession, prepareBatches } from '../runners.js';
import { predictBodies, startServer, type StartedServer } from '../api-server.js';
import { timingBreakdown } from '../timing-breakdown.js';
import { startMinimalServer } from '../minimal-server.js';
import { fixedLengthTexts } from './text-sets.js';

const TOKENS = 32;

/** A contender that times each of `calls` one after another, adding every call's ms to `into`. */
function sequential(label: string, calls: ReadonlyArray<() => Promise<unknown>>, into: number[]): Contender {
  return {
    label,
    async run() {
      for (const call of calls) {
        const start = performance.now();
        await call();
        into.push(performance.now() - start);
      }
    },
  };
}

export const latency: Benchmark = {
  name: 'latency',
  title: 'Batch-1 latency at 32 tokens, bench model',
  peer: 'bare ONNX Runtime on the pre-tokenized input (the floor)',
  texts: { full: 64, quick: 16 },
  async run(context): Promise<BenchResult> {
    const { quick } = context.settings;
    const model = benchModel(context.repoRoot);
    const opened: Array<{ dispose(): Promise<void> }> = [];
    const errors: unknown[] = [];
    const client = createLoadClient();
    const servers: StartedServer[] = [];
    try {
      const variants: ModelVariant[] = model.hasQuantized ? ['fp32', 'quantized'] : ['fp32'];
      const calls = new Map<string, number[]>();
      const contenders: Contender[] = [];
      let texts: string[] = [];
      for (const variant of variants) {
        const tag = variant === 'fp32' ? 'fp32' : 'int8';
        const engine = await createInferenceEngine(model.dir, { variant });
        opened.push(engine);
        if (texts.length === 0) texts = await fixedLengthTexts(engine, context.texts.texts, TOKENS, quick ? latency.texts.quick : latency.texts.full);
        const session = await bareSession(loadModelBundle(model.dir, { variant }).modelPath);
        opened.push(session);
        const encodings = await engine.encode(texts);
        const singles = encodings.map((e) => prepareBatches([e], engine.tokenizer.padId, model.shape, 1).feeds[0]);
        const quiet = variant === 'fp32' ? await createInferenceEngine(model.dir, { variant, spinning: false }) : null;
        if (quiet) opened.push(quiet);
        for (const [key, fns] of [
          [`${tag}.bare_ms`, singles.map((feeds) => () => session.run(feeds, ['logits']))],
          [`${tag}.glassbox_ms`, texts.map((t) => () => engine.classify(t))],
          ...(quiet ? ([[`${tag}.glassbox_nospin_ms`, texts.map((t) => () => quiet.classify(t))]] as const) : []),
        ] as const) {
          calls.set(key, []);
          contenders.push(sequential(key, fns, calls.get(key) as number[]));
        }
      }
      const bodies = predictBodies(texts);
      // The floor for any HTTP server around this engine: node:http, JSON in and out, nothing else.
      const fp32Engine = opened[0] as InferenceEngine;
      const minimal = await startMinimalServer(fp32Engine);
      opened.push({ dispose: () => minimal.close() });
      calls.set('fp32.http_floor_ms', []);
      contenders.push({
        label: 'fp32.http_floor_ms',
        async run() {
          const result = await client.run({ base: minimal.base, path: '/', bodies, requests: bodies.length, concurrency: 1 });
          calls.get('fp32.http_floor_ms')?.push(...result.latencies);
        },
      });
      const serverTimings = new Map<string, Array<Record<string, number>>>();
      for (const [key, spinning] of [['fp32.api_ms', false], ['fp32.api_spin_ms', true]] as const) {
        const server = await startServer({ modelDir: model.dir, variant: 'fp32', spinning }, errors);
        servers.push(server);
        calls.set(key, []);
        serverTimings.set(key, []);
        contenders.push({
          label: key,
          async run() {
            const result = await client.run({ base: server.base, path: '/v1/predict', bodies, requests: bodies.length, concurrency: 1 });
            calls.get(key)?.push(...result.latencies);
            serverTimings.get(key)?.push(...result.serverTimings);
          },
        });
      }
      const repetitions = quick ? 3 : 6;
      context.progress(`latency: ${repetitions} passes x ${texts.length} single calls x ${contenders.length} configurations`);
      await interleave(contenders, { warmup: 1, repetitions });
      if (errors.length > 0) throw new Error(`the server reported ${errors.length} error(s); first: ${String(errors[0])}`);
      // The warm-up pass was recorded too; keep the timed passes' calls.
      const timed = (key: string) => (calls.get(key) ?? []).slice(texts.length).sort((a, b) => a - b);
      const metrics: Record<string, number> = {};
      const describe: Record<string, string> = {
        'fp32.bare_ms': 'bare ORT fp32, [1 x 32] input',
        'fp32.glassbox_ms': 'glassbox engine fp32, defaults, classify(text)',
        'fp32.glassbox_nospin_ms': 'glassbox engine fp32, `spinning: false`, classify(text)',
        'int8.bare_ms': 'bare ORT int8, [1 x 32] input',
        'int8.glassbox_ms': 'glassbox engine int8 (`variant: quantized`), classify(text)',
        'fp32.http_floor_ms': 'minimal node:http server around the engine above (JSON in, classify, JSON out), one request at a time',
        'fp32.api_ms': 'API fp32, POST /v1/predict, one request at a time (defaults)',
        'fp32.api_spin_ms': 'API fp32, `spinning: true`, POST /v1/predict, one request at a time',
      };
      const rows = [...calls.keys()].map((key) => {
        const all = timed(key);
        metrics[`bench.latency32.${key}`] = quantile(all, 0.5);
        const floor = quantile(timed(key.startsWith('int8') ? 'int8.bare_ms' : 'fp32.bare_ms'), 0.5);
        return [describe[key] ?? key, num(quantile(all, 0.5)), num(quantile(all, 0.95)), `${(quantile(all, 0.5) / floor).toFixed(2)}x`];
      });
      // Hop by hop, from each API request's Server-Timing and its client latency (timed passes only).
      const findings: string[] = [];
      for (const key of serverTimings.keys()) {
        const b = timingBreakdown((calls.get(key) ?? []).slice(texts.length), (serverTimings.get(key) ?? []).slice(texts.length));
        if (b === null) continue;
        for (const part of b.parts) metrics[`bench.latency32.${key.replace(/_ms$/, '')}.${part.name.split(' ')[0].replace(/,$/, '')}_ms`] = part.ms;
        findings.push(`${describe[key] ?? key}, hop by hop (median per request, ms; from the server's Server-Timing header and the client's latency): ${b.parts.map((p) => `${p.name} ${num(p.ms)}`).join('; ')}; client latency ${num(b.latency)}.`);
      }
      return {
        notes: [
          `Model: ${model.name}, \`${model.dir}\`. ${texts.length} texts of ${TOKENS} tokens (cut from dev texts), each its own call; the next call starts when the last returns.`,
          `Bare: \`OnnxSession.run\` on the pre-tokenized input, os.availableParallelism() intra-op threads. glassbox: tokenizing and softmax included. API: \`createApiServer\` with the defaults (1 inference worker whose intra-op threads do not spin, micro-batcher, no reference profile, audit trail in memory), and the same with \`spinning: true\`; a keep-alive client in a worker thread of this process; the latency is the client's, JSON and HTTP included.`,
          `1 warm-up pass, then ${repetitions} timed passes per configuration, interleaved. Median and p95 over every timed call.`,
        ],
        table: { columns: ['configuration', 'p50 ms', 'p95 ms', 'p50 vs bare (same variant)'], rows },
        findings,
        metrics,
      };
    } finally {
      await client.close();
      for (const s of servers) await s.server.close();
      for (const o of opened.reverse()) await o.dispose();
    }
  },
};
