/**
 * Single-text latency: one text per call, one call at a time, as an interactive caller would
 * use a classifier. glassbox's engine against transformers.js's pipeline on the same graph.
 */
import { performance } from 'node:perf_hooks';
import { createInferenceEngine, type InferenceEngine, type InferenceEngineOptions } from '@glassbox/core';
import type { BenchContext, BenchResult, Benchmark } from '../bench-types.js';
import { num, ratio, withRange } from '../format.js';
import { interleave, perSecond, quantile, spread, type Contender } from '../measure.js';
import { plainModelDir } from '../models.js';
import { createPeerClassifier } from '../transformers-peer.js';

interface Variant {
  label: string;
  threads: string;
  options: InferenceEngineOptions;
}

const VARIANTS: readonly Variant[] = [
  { label: 'glassbox engine, in process', threads: 'glassbox default: os.availableParallelism() intra-op threads', options: {} },
  { label: 'glassbox engine, 2 workers', threads: '2 worker threads x 1 intra-op thread, no spinning', options: { workers: 2, intraOpThreads: 1, spinning: false } },
];

const PEER_LABEL = 'transformers.js pipeline';

/** A contender that classifies `texts` one call each, recording every call's milliseconds. */
function sequential(label: string, texts: readonly string[], classifyOne: (text: string) => Promise<unknown>, latencies: number[]): Contender {
  return {
    label,
    async run() {
      for (const text of texts) {
        const start = performance.now();
        await classifyOne(text);
        latencies.push(performance.now() - start);
      }
    },
  };
}

async function run(context: BenchContext): Promise<BenchResult> {
  const { quick } = context.settings;
  const texts = context.texts.texts.slice(0, quick ? singleLatency.texts.quick : singleLatency.texts.full);
  const repetitions = quick ? 2 : 5;
  const modelDir = plainModelDir(context.repoRoot);
  const peer = await createPeerClassifier(modelDir);
  const engines: InferenceEngine[] = [];
  try {
    for (const v of VARIANTS) engines.push(await createInferenceEngine(modelDir, v.options));
    const latencies = new Map<string, number[]>([PEER_LABEL, ...VARIANTS.map((v) => v.label)].map((l) => [l, []]));
    const record = (label: string) => latencies.get(label) ?? [];
    const contenders = [
      sequential(PEER_LABEL, texts, (t) => peer.classifyOne(t), record(PEER_LABEL)),
      ...VARIANTS.map((v, i) => sequential(v.label, texts, (t) => engines[i].classify(t), record(v.label))),
    ];
    context.progress(`single-latency: ${repetitions} repetitions x ${texts.length} sequential calls x ${contenders.length} configurations`);
    const times = await interleave(contenders, { warmup: 1, repetitions });
    // Warm-up calls were recorded too; keep only the timed repetitions' calls.
    const timed = (label: string) => record(label).slice(texts.length).sort((a, b) => a - b);
    const peerRate = spread(perSecond(texts.length, times.get(PEER_LABEL) ?? []));
    const row = (label: string, threads: string) => {
      const calls = timed(label);
      const rate = spread(perSecond(texts.length, times.get(label) ?? []));
      return [label, threads, num(quantile(calls, 0.5)), num(quantile(calls, 0.95)), withRange(rate), ratio(rate.median / peerRate.median, label === PEER_LABEL)];
    };
    return {
      notes: [
        `Texts: the first ${texts.length} texts of the pool; each call classifies one text, and the next call starts when it returns.`,
        `Model: \`models/emotion-mini/no-attentions/model.onnx\` on both sides; transformers.js called with \`top_k: null\`.`,
        `1 warm-up pass over the texts, then ${repetitions} timed passes per configuration, interleaved. p50/p95 over all ${repetitions * texts.length} timed calls; calls/s: median (min–max) over passes.`,
      ],
      table: {
        columns: ['configuration', 'threads', 'p50 ms', 'p95 ms', 'calls/s', 'vs peer'],
        rows: [row(PEER_LABEL, 'ORT default intra-op threads'), ...VARIANTS.map((v) => row(v.label, v.threads))],
      },
      findings: [],
    };
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
    await peer.dispose();
  }
}

export const singleLatency: Benchmark = {
  name: 'single-latency',
  title: 'Single-text latency',
  peer: 'transformers.js text-classification pipeline, one text per call',
  texts: { full: 300, quick: 40 },
  run,
};
