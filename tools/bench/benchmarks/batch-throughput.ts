/**
 * Batch classification throughput: glassbox's engine against transformers.js's pipeline on the
 * same ONNX graph and texts, after checking that both give the same probabilities.
 */
import { createInferenceEngine, type InferenceEngine, type InferenceEngineOptions } from '@glassbox/core';
import type { BenchContext, BenchResult, Benchmark } from '../bench-types.js';
import { num, ratio, withRange } from '../format.js';
import { interleave, perSecond, spread, type Contender } from '../measure.js';
import { plainModelDir } from '../models.js';
import { createPeerClassifier, scoresInOrder, type PeerClassifier } from '../transformers-peer.js';

/** Texts per forward pass on both sides. */
const BATCH_SIZE = 32;
/** Largest probability difference accepted between the two runtimes before timing. */
const AGREEMENT_TOLERANCE = 1e-3;

interface GlassboxVariant {
  label: string;
  threads: string;
  options: InferenceEngineOptions;
  /** true: one classify call over all texts (length-bucketed); false: one call per peer batch. */
  wholeInput: boolean;
}

const VARIANTS: readonly GlassboxVariant[] = [
  {
    label: 'glassbox engine, same batches as the peer',
    threads: 'in process, glassbox default: os.availableParallelism() intra-op threads',
    options: { batchSize: BATCH_SIZE },
    wholeInput: false,
  },
  {
    label: 'glassbox engine, one call (length-bucketed)',
    threads: 'in process, glassbox default: os.availableParallelism() intra-op threads',
    options: { batchSize: BATCH_SIZE },
    wholeInput: true,
  },
  {
    label: 'glassbox engine, one call, 2 workers',
    threads: '2 worker threads x 1 intra-op thread, no spinning',
    options: { batchSize: BATCH_SIZE, workers: 2, intraOpThreads: 1, spinning: false },
    wholeInput: true,
  },
];

const PEER_LABEL = 'transformers.js pipeline, batches of 32';

/** `items` cut into consecutive chunks of `size` (the last may be shorter). */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Largest absolute probability difference between the two runtimes over `texts`. */
async function maxProbabilityDifference(engine: InferenceEngine, peer: PeerClassifier, texts: readonly string[]): Promise<number> {
  const ours = await engine.classify([...texts]);
  let worst = 0;
  let index = 0;
  for (const batch of chunks(texts, BATCH_SIZE)) {
    for (const scores of await peer.classify(batch)) {
      const theirs = scoresInOrder(scores, engine.labels);
      const probabilities = ours[index++].probabilities;
      engine.labels.forEach((label, j) => {
        worst = Math.max(worst, Math.abs(probabilities[label] - theirs[j]));
      });
    }
  }
  return worst;
}

function glassboxContender(variant: GlassboxVariant, engine: InferenceEngine, texts: readonly string[]): Contender {
  const batches = chunks(texts, BATCH_SIZE);
  return {
    label: variant.label,
    run: variant.wholeInput
      ? () => engine.classify([...texts])
      : async () => {
          for (const batch of batches) await engine.classify(batch);
        },
  };
}

function peerContender(peer: PeerClassifier, texts: readonly string[]): Contender {
  const batches = chunks(texts, BATCH_SIZE);
  return {
    label: PEER_LABEL,
    async run() {
      for (const batch of batches) await peer.classify(batch);
    },
  };
}

async function run(context: BenchContext): Promise<BenchResult> {
  const { quick } = context.settings;
  const texts = context.texts.texts.slice(0, quick ? batchThroughput.texts.quick : batchThroughput.texts.full);
  const repetitions = quick ? 2 : 7;
  const modelDir = plainModelDir(context.repoRoot);
  const peer = await createPeerClassifier(modelDir);
  const engines: InferenceEngine[] = [];
  try {
    for (const v of VARIANTS) engines.push(await createInferenceEngine(modelDir, v.options));
    context.progress(`batch-throughput: checking agreement on ${texts.length} texts`);
    const difference = await maxProbabilityDifference(engines[0], peer, texts);
    if (!(difference <= AGREEMENT_TOLERANCE)) {
      throw new Error(`glassbox and transformers.js disagree: max |Δp| = ${difference} > ${AGREEMENT_TOLERANCE}; the comparison would not be like for like`);
    }
    context.progress(`batch-throughput: timing ${repetitions} repetitions x ${VARIANTS.length + 1} configurations`);
    const contenders = [peerContender(peer, texts), ...VARIANTS.map((v, i) => glassboxContender(v, engines[i], texts))];
    const times = await interleave(contenders, { warmup: 1, repetitions });
    const rate = (label: string) => spread(perSecond(texts.length, times.get(label) ?? []));
    const peerRate = rate(PEER_LABEL);
    const row = (label: string, threads: string) => {
      const r = rate(label);
      return [label, threads, withRange(r), num(1e6 / r.median), ratio(r.median / peerRate.median, label === PEER_LABEL)];
    };
    return {
      notes: [
        `Texts: the first ${texts.length} texts of the pool, all classified in each repetition.`,
        `Model: \`models/emotion-mini/no-attentions/model.onnx\` on both sides (transformers.js through a generated layout in the temp directory, \`dtype: 'fp32'\`, \`top_k: null\`).`,
        `Batches of ${BATCH_SIZE} texts on both sides. The peer gets them in input order, as a caller would send them; glassbox's first row gets the same batches, its other rows one call over all texts, which glassbox sorts by length before cutting batches (less padding).`,
        `1 warm-up repetition, then ${repetitions} timed repetitions per configuration, interleaved round-robin. Throughput: median (min–max) over repetitions.`,
      ],
      table: {
        columns: ['configuration', 'threads', 'texts/s', 'µs/text (median)', 'vs peer'],
        rows: [row(PEER_LABEL, 'in process, ORT default intra-op threads'), ...VARIANTS.map((v) => row(v.label, v.threads))],
      },
      findings: [
        `Agreement before timing: max |Δp| between glassbox and transformers.js over ${texts.length} texts x 7 labels = ${difference.toExponential(2)} (the run fails above ${AGREEMENT_TOLERANCE}).`,
      ],
    };
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
    await peer.dispose();
  }
}

export const batchThroughput: Benchmark = {
  name: 'batch-throughput',
  title: 'Batch classification throughput',
  peer: 'transformers.js text-classification pipeline, same ONNX graph and texts',
  texts: { full: 2048, quick: 256 },
  run,
};
