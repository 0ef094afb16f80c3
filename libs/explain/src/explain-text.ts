import { GlassboxError, splitIntoWindows, type Encoding, type InferenceEngine } from '@glassbox/core';
import { kendallTau, topKOverlap } from './agreement.js';
import type { Explanation } from './explanation-schema.js';
import { faithfulness, rankByScore } from './faithfulness.js';
import { occlusion, type Granularity } from './occlusion.js';
import { attentionRollout, type HeadFusion } from './rollout.js';
import { aggregateScores, tokenUnits, wordUnits, type TextUnit } from './text-units.js';

export type ExplainMethod = 'rollout' | 'occlusion';

export interface ExplainOptions {
  /** Methods to run (default: every method the model supports). */
  methods?: readonly ExplainMethod[];
  /** Label name or id to explain (default: the predicted label). */
  target?: string | number;
  /** Occlusion only: explain "target rather than contrast". */
  contrast?: string | number;
  /** Units shown and scored (default 'word'). */
  granularity?: Granularity;
  windowSize?: number;
  windowStride?: number;
  fusion?: HeadFusion;
  /** Also score every method (and a random ranking) for comprehensiveness and sufficiency. */
  faithfulness?: boolean;
  seed?: number;
}

export type { Explanation } from './explanation-schema.js';

/**
 * Explains one prediction: runs the chosen methods, maps scores back onto the text at token,
 * word or window granularity, and optionally scores their faithfulness against a random ranking.
 * Texts longer than the model's maximum are explained window by window, so every token of the
 * whole text gets a score.
 */
export async function explainText(engine: InferenceEngine, text: string, options: ExplainOptions = {}): Promise<Explanation> {
  if (typeof text !== 'string' || text.trim() === '') throw new GlassboxError('INVALID_INPUT', 'the text to explain is empty');
  const labels = engine.labels;
  const methods = options.methods ?? (engine.capabilities.attentions ? ['rollout', 'occlusion'] : ['occlusion']);
  for (const m of methods) {
    if (m !== 'rollout' && m !== 'occlusion') throw new GlassboxError('INVALID_OPTION', `unknown method "${m}"; valid: rollout, occlusion`);
  }
  if (methods.includes('rollout') && !engine.capabilities.attentions) {
    throw new GlassboxError(
      'PLUGIN_CAPABILITY_MISSING',
      'attention rollout needs attention outputs, which this model graph lacks: run `glassbox expose-attentions IN.onnx OUT.onnx` and explain with the exposed model',
    );
  }
  const granularity = options.granularity ?? 'word';
  const [full] = await engine.encode([text]);
  const [prediction] = await engine.classify(text);
  const predicted = prediction.labelId;
  const target = options.target === undefined ? predicted : labelIndex(labels, options.target);
  const contrast = options.contrast === undefined ? null : labelIndex(labels, options.contrast);

  // Windows over long texts: each is explained on its own; a position covered by several
  // windows gets the mean of their scores.
  const windows = windowEncodings(full, engine);
  const sums: Record<string, Map<number, { s: number; n: number }>> = {};
  let forwardCalls = 0;
  for (const w of windows) {
    const add = (method: string, scores: Map<number, number>) => {
      const m = (sums[method] ??= new Map());
      for (const [p, v] of scores) {
        const e = m.get(w.offset[p]) ?? { s: 0, n: 0 };
        e.s += v;
        e.n++;
        m.set(w.offset[p], e);
      }
    };
    if (methods.includes('occlusion')) {
      const r = await occlusion(engine, w.encoding, {
        target,
        contrast: contrast ?? undefined,
        granularity,
        windowSize: options.windowSize,
        windowStride: options.windowStride,
      });
      forwardCalls += r.forwardCalls;
      add('occlusion', r.tokenScores);
    }
    if (methods.includes('rollout')) {
      add('rollout', await rolloutScores(engine, w.encoding, options.fusion ?? 'mean'));
      forwardCalls++;
    }
  }
  const tokenScore = (method: string) => new Map([...(sums[method] ?? new Map()).entries()].map(([p, { s, n }]) => [p, s / n]));
  const units: TextUnit[] = granularity === 'word' ? wordUnits(full) : tokenUnits(full);
  const words = wordUnits(full);
  const attributions: Partial<Record<ExplainMethod, number[]>> = {};
  const wordAttributions: Partial<Record<ExplainMethod, number[]>> = {};
  for (const m of methods) {
    const scores = tokenScore(m);
    attributions[m] = aggregateScores(scores, units);
    wordAttributions[m] = aggregateScores(scores, words);
  }
  const probabilities = prediction.probabilities;
  const result: Explanation = {
    text,
    label: labels[predicted],
    target: labels[target],
    contrast: contrast === null ? null : labels[contrast],
    probabilities,
    granularity,
    tokens: units.map(({ text: t, start, end }) => ({ text: t, start, end })),
    attributions,
    words: words.map(({ text: t, start, end }) => ({ text: t, start, end })),
    word_attributions: wordAttributions,
    class_agnostic: methods.includes('rollout') ? ['rollout'] : [],
    windows: windows.length,
    forward_calls: forwardCalls,
  };
  if (methods.length === 2) {
    const a = attributions.rollout as number[];
    const b = attributions.occlusion as number[];
    const k = Math.max(1, Math.ceil(0.2 * units.length));
    result.agreement = { kendall_tau: kendallTau(a, b), top_k_overlap: topKOverlap(a, b, k), k };
  }
  if (options.faithfulness) {
    if (windows.length > 1) {
      throw new GlassboxError('INVALID_OPTION', `faithfulness needs the whole text in one forward pass; this text has ${full.ids.length} tokens (max ${engine.maxLength})`);
    }
    const rankings = Object.fromEntries(methods.map((m) => [m, rankByScore(attributions[m] as number[])]));
    result.faithfulness = await faithfulness(engine, full, units, rankings, { target, seed: options.seed ?? 0 });
  }
  return result;
}

function labelIndex(labels: readonly string[], v: string | number): number {
  const i = typeof v === 'number' ? v : labels.indexOf(v);
  if (!Number.isInteger(i) || i < 0 || i >= labels.length) {
    throw new GlassboxError('UNKNOWN_LABEL', `label ${JSON.stringify(v)} is not one of ${labels.join(', ')}`);
  }
  return i;
}

export interface Window {
  encoding: Encoding;
  /** Position in the window -> position in the full encoding. */
  offset: number[];
}

/** The model windows a text is explained over: the whole encoding, or overlapping chunks of a longer one. */
export function windowEncodings(full: Encoding, engine: InferenceEngine): Window[] {
  if (full.ids.length <= engine.maxLength) return [{ encoding: full, offset: full.ids.map((_, i) => i) }];
  const width = engine.maxLength - 2;
  const overlap = engine.options.chunkOverlap;
  const pieces = splitIntoWindows(full.ids, { maxLength: engine.maxLength, longText: 'chunk', chunkOverlap: overlap }, engine.tokenizer.eosId);
  return pieces.map((ids, w) => {
    const start = 1 + w * (width - overlap);
    const offset = ids.map((_, i) => (i === 0 ? 0 : i === ids.length - 1 ? full.ids.length - 1 : start + i - 1));
    return {
      encoding: {
        text: full.text,
        ids,
        tokens: offset.map((p) => full.tokens[p]),
        offsets: offset.map((p) => full.offsets[p]),
        special: offset.map((p) => full.special[p]),
      },
      offset,
    };
  });
}

async function rolloutScores(engine: InferenceEngine, encoding: Encoding, fusion: HeadFusion): Promise<Map<number, number>> {
  const n = encoding.ids.length;
  const batch = {
    inputIds: BigInt64Array.from(encoding.ids, BigInt),
    attentionMask: new BigInt64Array(n).fill(1n),
    batchSize: 1,
    seqLen: n,
  };
  const out = await engine.forward(batch, { attentions: true });
  const row = attentionRollout(out.attentions ?? [], out.numHeads ?? 1, n, { fusion });
  const scores = new Map<number, number>();
  encoding.special.forEach((s, p) => {
    if (!s) scores.set(p, row[p]);
  });
  return scores;
}
