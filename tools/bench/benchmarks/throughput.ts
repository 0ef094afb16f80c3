/**
 * Batch throughput on one model, fp32 and int8, over the dev texts and the fixed-length sets:
 * bare ONNX Runtime on pre-tokenized length-sorted batches (the floor), glassbox's engine at its
 * defaults, transformers.js's pipeline at its defaults (ONNX Runtime's own thread count) with
 * batches of 8 and 32 (the peer; its best is the one compared with), all interleaved.
 */
import { createInferenceEngine, loadModelBundle, type InferenceEngine, type ModelVariant, type OnnxSession } from '@glassbox/core';
import type { BenchContext, Benchmark } from '../bench-types.js';
import { gflopsPerSecond } from '../flops.js';
import { num, withRange } from '../format.js';
import { interleave, perSecond, spread, type Contender } from '../measure.js';
import { benchModel, miniModel, type BenchModel } from '../models.js';
import { bareContender, bareSession, engineContender, FLOOR_BATCH, peerContender, prepareBatches } from '../runners.js';
import { createPeerClassifier, scoresInOrder, type PeerClassifier } from '../transformers-peer.js';
import { textSets, type TextSet } from './text-sets.js';

/** Largest probability difference accepted between glassbox and transformers.js on one graph. */
const AGREEMENT_TOLERANCE = 1e-3;
/** The peer's batch sizes: transformers.js leaves batching to the caller. */
const PEER_BATCHES = [8, FLOOR_BATCH] as const;

/** Everything loaded for one variant (fp32 or int8) of the model. */
interface Side {
  variant: ModelVariant;
  tag: 'fp32' | 'int8';
  engine: InferenceEngine;
  bare: OnnxSession;
  peer: PeerClassifier;
}

async function loadSide(model: BenchModel, variant: ModelVariant, opened: Array<{ dispose(): Promise<void> }>): Promise<Side> {
  const engine = await createInferenceEngine(model.dir, { variant });
  opened.push(engine);
  const bare = await bareSession(loadModelBundle(model.dir, { variant }).modelPath);
  opened.push(bare);
  const peer = await createPeerClassifier(model.dir, { dtype: variant === 'fp32' ? 'fp32' : 'q8' });
  opened.push(peer);
  return { variant, tag: variant === 'fp32' ? 'fp32' : 'int8', engine, bare, peer };
}

/** Largest |Δp| between glassbox and the pipeline over `texts` (one pipeline call). */
async function disagreement(side: Side, texts: readonly string[]): Promise<number> {
  const ours = await side.engine.classify([...texts]);
  const theirs = await side.peer.classify(texts);
  let worst = 0;
  theirs.forEach((scores, i) => {
    scoresInOrder(scores, side.engine.labels).forEach((p, j) => {
      worst = Math.max(worst, Math.abs(ours[i].probabilities[side.engine.labels[j]] - p));
    });
  });
  return worst;
}

/** Labels of the contenders of one set and variant; the metric keys use `key`. */
function labels(tag: string) {
  return {
    bare: { key: 'bare', label: `bare ORT ${tag}, sorted batches of ${FLOOR_BATCH}` },
    glassbox: { key: 'glassbox', label: `glassbox engine ${tag}, defaults` },
    peer: (b: number) => ({ key: `transformersjs_b${b}`, label: `transformers.js ${tag === 'int8' ? 'q8' : 'fp32'}, batches of ${b}` }),
  };
}

async function measureSet(model: BenchModel, set: TextSet, sides: readonly Side[], context: BenchContext, metrics: Record<string, number>, rows: string[][]): Promise<void> {
  const { quick } = context.settings;
  const contenders: Array<Contender & { key: string; tag: string }> = [];
  let flops = 0;
  for (const side of sides) {
    const l = labels(side.tag);
    const encodings = (await side.engine.encode(set.texts)).map((e) => ({ ids: e.ids.slice(0, model.maxTokens) }));
    const batches = prepareBatches(encodings, side.engine.tokenizer.padId, model.shape);
    flops = batches.flops;
    contenders.push({ ...bareContender(l.bare.label, side.bare, batches), key: l.bare.key, tag: side.tag });
    contenders.push({ ...engineContender(l.glassbox.label, side.engine, set.texts), key: l.glassbox.key, tag: side.tag });
    for (const b of set.name === 'dev' ? PEER_BATCHES : [FLOOR_BATCH]) {
      contenders.push({ ...peerContender(l.peer(b).label, side.peer, set.texts, b), key: l.peer(b).key, tag: side.tag });
    }
  }
  context.progress(`throughput ${model.key}: ${set.name} set, ${set.texts.length} texts x ${contenders.length} configurations`);
  const times = await interleave(contenders, { warmup: 0, repetitions: quick ? 2 : 3 });
  for (const side of sides) {
    const mine = contenders.filter((c) => c.tag === side.tag);
    const rate = (label: string) => spread(perSecond(set.texts.length, times.get(label) ?? []));
    const bare = rate(labels(side.tag).bare.label).median;
    const peerBest = Math.max(...mine.filter((c) => c.key.startsWith('transformersjs')).map((c) => rate(c.label).median));
    for (const c of mine) {
      const r = rate(c.label);
      const ms = spread(times.get(c.label) ?? []).median;
      const gflops = gflopsPerSecond(flops, ms);
      const prefix = `${model.key}.${set.name}.${side.tag}.${c.key}`;
      metrics[prefix] = r.median;
      metrics[`${prefix}.gflops`] = gflops;
      rows.push([set.name, `${num(set.meanTokens)}`, c.label, withRange(r), num(gflops), `${(r.median / bare).toFixed(2)}x`, `${(r.median / peerBest).toFixed(2)}x`]);
    }
  }
}

function throughput(key: BenchModel['key']): Benchmark {
  const benchmark: Benchmark = {
    name: `throughput-${key}`,
    title: `Batch throughput, ${key === 'bench' ? 'bench model (DistilRoBERTa shape)' : 'emotion-mini'}`,
    peer: 'transformers.js text-classification pipeline at its defaults, same ONNX files and texts; bare ONNX Runtime as the floor',
    texts: { full: 600, quick: 64 },
    async run(context) {
      const model = key === 'bench' ? benchModel(context.repoRoot) : miniModel(context.repoRoot);
      const opened: Array<{ dispose(): Promise<void> }> = [];
      const metrics: Record<string, number> = {};
      const rows: string[][] = [];
      const findings: string[] = [];
      try {
        const sides = [await loadSide(model, 'fp32', opened)];
        if (model.hasQuantized) sides.push(await loadSide(model, 'quantized', opened));
        const pool = context.texts.texts;
        for (const side of sides) {
          const difference = await disagreement(side, pool.slice(0, 16));
          findings.push(`Agreement before timing (${side.tag}): max |Δp| between glassbox and transformers.js over 16 texts x 7 labels = ${difference.toExponential(2)}.`);
          if (!(difference <= AGREEMENT_TOLERANCE)) throw new Error(`glassbox and transformers.js disagree (${side.tag}): max |Δp| = ${difference} > ${AGREEMENT_TOLERANCE}`);
        }
        const count = context.settings.quick ? benchmark.texts.quick : benchmark.texts.full;
        for (const set of await textSets(sides[0].engine, pool, count, context.settings.quick)) await measureSet(model, set, sides, context, metrics, rows);
        return {
          notes: [
            `Model: ${model.name}, \`${model.dir}\` on every side (logits fetched only); int8: its \`model_quantized.onnx\`${model.hasQuantized ? '' : ' (absent here: no int8 rows)'}. transformers.js through a generated layout in the temp directory (\`dtype: 'fp32'\` or \`'q8'\`, \`top_k: null\`).`,
            `Sets: \`dev\`, the first ${count} texts of the pool at their real lengths; then texts of a fixed token count cut from joined dev texts (the mean tokens column says what the tokenizer counted).`,
            `Sides: bare ONNX Runtime (\`OnnxSession.run\` on pre-tokenized batches of ${FLOOR_BATCH}, sorted by length, ${'`intraOpThreads`'} = os.availableParallelism(), tokenizing not timed); glassbox's engine with no options (one \`classify\` of all texts: tokenizing, length-bucketing, softmax timed); transformers.js's pipeline at its session defaults, texts in input order in batches of ${PEER_BATCHES.join(' and ')} on \`dev\`, ${FLOOR_BATCH} on the fixed sets (no padding to lose there).`,
            `Interleaved round-robin, no warm-up pass (every session ran the agreement check first), ${context.settings.quick ? 2 : 3} timed repetitions. texts/s: median (min–max); GFLOP/s: the floor's matrix-product FLOPs (padding of its sorted batches included) over each side's median time, so a side that pads more shows less.`,
          ],
          table: { columns: ['set', 'mean tokens', 'configuration', 'texts/s', 'GFLOP/s', 'vs bare', 'vs transformers.js (best)'], rows },
          findings,
          metrics,
        };
      } finally {
        for (const o of opened.reverse()) await o.dispose();
      }
    },
  };
  return benchmark;
}

export const throughputBench = throughput('bench');
export const throughputMini = throughput('mini');
