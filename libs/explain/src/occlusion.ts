import { GlassboxError, type Encoding, type InferenceEngine } from '@glassbox/core';
import { scorePerturbations, type Perturbation } from './perturb.js';
import { tokenUnits, wordUnits, type TextUnit } from './text-units.js';

export type { Granularity } from './explanation-schema.js';
import type { Granularity } from './explanation-schema.js';

export interface OcclusionOptions {
  /** Label id whose probability drop is the score (default: the predicted label). */
  target?: number;
  /** Contrastive mode: score the drop in p(target) - p(contrast), "target rather than contrast". */
  contrast?: number;
  /** What is occluded at once (default 'word'). */
  granularity?: Granularity;
  /** Window granularity: tokens per window (default 3) and step between windows (default 1). */
  windowSize?: number;
  windowStride?: number;
  /**
   * 'mask' replaces the unit's tokens by `<mask>` (default when the tokenizer has one);
   * 'attention' keeps them but sets attention_mask to 0 there.
   */
  baseline?: 'mask' | 'attention';
}

export interface OcclusionResult {
  /** Predicted label id on the unperturbed text. */
  predicted: number;
  target: number;
  contrast: number | null;
  /** Probabilities of the unperturbed text. */
  probabilities: number[];
  /** The units scored: words, tokens, or (window granularity) tokens. */
  units: TextUnit[];
  /** Score per unit: drop in p(target) (or in p(target) - p(contrast)) when it is occluded. */
  scores: number[];
  /** Score per sequence position (non-special tokens). */
  tokenScores: Map<number, number>;
  forwardCalls: number;
}

/**
 * Occlusion: occlude each unit of the text and measure the drop in the target's probability.
 * All perturbations of a text go through the model in batched forward passes.
 */
export async function occlusion(engine: InferenceEngine, encoding: Encoding, options: OcclusionOptions = {}): Promise<OcclusionResult> {
  const granularity = options.granularity ?? 'word';
  const baseline = options.baseline ?? (engine.tokenizer.maskId !== null ? 'mask' : 'attention');
  if (baseline === 'mask' && engine.tokenizer.maskId === null) {
    throw new GlassboxError('PLUGIN_CAPABILITY_MISSING', 'the tokenizer has no <mask> token; use baseline "attention"');
  }
  const tokens = tokenUnits(encoding);
  let units: TextUnit[];
  if (granularity === 'token') units = tokens;
  else if (granularity === 'word') units = wordUnits(encoding);
  else if (granularity === 'window') units = slidingWindows(tokens, options.windowSize ?? 3, options.windowStride ?? 1);
  else throw new GlassboxError('INVALID_OPTION', `granularity must be token, word or window, got "${granularity}"`);

  const occlude = (positions: number[]): Perturbation => {
    if (baseline === 'mask') {
      const ids = [...encoding.ids];
      for (const p of positions) ids[p] = engine.tokenizer.maskId as number;
      return { ids };
    }
    const mask = encoding.ids.map(() => 1);
    for (const p of positions) mask[p] = 0;
    return { ids: [...encoding.ids], mask };
  };
  const { probabilities, forwardCalls } = await scorePerturbations(engine, [{ ids: [...encoding.ids] }, ...units.map((u) => occlude(u.positions))]);
  const base = probabilities[0];
  const k = base.length;
  const predicted = base.indexOf(Math.max(...base));
  const target = options.target ?? predicted;
  const contrast = options.contrast ?? null;
  for (const [name, v] of [['target', target], ['contrast', contrast]] as const) {
    if (v !== null && !(Number.isInteger(v) && v >= 0 && v < k)) {
      throw new GlassboxError('UNKNOWN_LABEL', `${name} must be a label id in 0..${k - 1}, got ${v}`);
    }
  }
  const f = (p: number[]) => p[target] - (contrast === null ? 0 : p[contrast]);
  const unitScores = units.map((_, i) => f(base) - f(probabilities[i + 1]));
  const tokenScores = new Map<number, number>();
  if (granularity === 'window') {
    // each token: the mean score of the windows that occlude it
    const sums = new Map<number, { s: number; n: number }>();
    units.forEach((u, i) => {
      for (const p of u.positions) {
        const e = sums.get(p) ?? { s: 0, n: 0 };
        e.s += unitScores[i];
        e.n++;
        sums.set(p, e);
      }
    });
    for (const [p, { s, n }] of sums) tokenScores.set(p, s / n);
    const scores = tokens.map((t) => t.positions.reduce((s, p) => s + (tokenScores.get(p) ?? 0), 0) / t.positions.length);
    return { predicted, target, contrast, probabilities: base, units: tokens, scores, tokenScores, forwardCalls };
  }
  // unit score spread evenly over its tokens, so token scores add up to unit scores
  units.forEach((u, i) => u.positions.forEach((p) => tokenScores.set(p, unitScores[i] / u.positions.length)));
  return { predicted, target, contrast, probabilities: base, units, scores: unitScores, tokenScores, forwardCalls };
}

/** Windows of `size` consecutive tokens every `stride` tokens; the last one reaches the end. */
export function slidingWindows(tokens: readonly TextUnit[], size: number, stride: number): TextUnit[] {
  if (!Number.isInteger(size) || size < 1 || !Number.isInteger(stride) || stride < 1) {
    throw new GlassboxError('INVALID_OPTION', `window size and stride must be positive integers, got ${size} and ${stride}`);
  }
  const out: TextUnit[] = [];
  for (let start = 0; start < tokens.length; start += stride) {
    const part = tokens.slice(start, start + size);
    out.push({
      text: part.map((t) => t.text).join(' '),
      start: part[0].start,
      end: part[part.length - 1].end,
      positions: part.flatMap((t) => t.positions),
    });
    if (start + size >= tokens.length) break;
  }
  return out;
}
