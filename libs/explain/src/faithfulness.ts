import { GlassboxError, mulberry32, type Encoding, type InferenceEngine } from '@glassbox/core';
import { scorePerturbations, type Perturbation } from './perturb.js';
import type { TextUnit } from './text-units.js';

/** Shares of the units removed or kept (ERASER's bins). */
export const ERASER_BINS = [0.01, 0.05, 0.1, 0.2, 0.5] as const;

export type { FaithfulnessScores } from './explanation-schema.js';
import type { FaithfulnessScores } from './explanation-schema.js';

export interface FaithfulnessOptions {
  target: number;
  bins?: readonly number[];
  /** Seed of the random ranking reported beside every method (default 0). */
  seed?: number;
}

/** Units ordered by score, highest first (ties: earlier unit first). */
export function rankByScore(scores: readonly number[]): number[] {
  return scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i);
}

/** A seeded random order of n units (Fisher-Yates). */
export function randomRanking(n: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Comprehensiveness and sufficiency (ERASER, DeYoung et al. 2020) of rankings of the units of
 * one text, with their AOPC (mean over the bins), always beside a seeded random ranking. Units
 * are removed by deleting their tokens (special tokens stay); every perturbation of every
 * ranking runs in shared batched forward passes.
 */
export async function faithfulness(
  engine: InferenceEngine,
  encoding: Encoding,
  units: readonly TextUnit[],
  rankings: Record<string, readonly number[]>,
  options: FaithfulnessOptions,
): Promise<Record<string, FaithfulnessScores>> {
  const bins = options.bins ?? ERASER_BINS;
  if (units.length === 0) throw new GlassboxError('INVALID_INPUT', 'the text has no tokens to rank');
  if ('random' in rankings) throw new GlassboxError('INVALID_OPTION', '"random" is reserved for the random baseline');
  const all: Record<string, readonly number[]> = { ...rankings, random: randomRanking(units.length, options.seed ?? 0) };
  const special = encoding.ids.map((_, i) => encoding.special[i]);
  const keepOnly = (chosen: Set<number>, keep: boolean): Perturbation => ({
    ids: encoding.ids.filter((_, p) => special[p] || chosen.has(p) === keep),
  });
  const perturbations: Perturbation[] = [{ ids: [...encoding.ids] }];
  const plan: Array<{ name: string; bin: number; kind: 'comp' | 'suff' }> = [];
  for (const [name, order] of Object.entries(all)) {
    if (order.length !== units.length) {
      throw new GlassboxError('INVALID_INPUT', `ranking "${name}" has ${order.length} entries for ${units.length} units`);
    }
    bins.forEach((share, b) => {
      const top = new Set(order.slice(0, Math.max(1, Math.ceil(share * units.length))).flatMap((u) => units[u].positions));
      perturbations.push(keepOnly(top, false));
      plan.push({ name, bin: b, kind: 'comp' });
      perturbations.push(keepOnly(top, true));
      plan.push({ name, bin: b, kind: 'suff' });
    });
  }
  const { probabilities } = await scorePerturbations(engine, perturbations);
  const full = probabilities[0][options.target];
  const out: Record<string, FaithfulnessScores> = {};
  for (const name of Object.keys(all)) {
    out[name] = { comprehensiveness: [], sufficiency: [], comprehensiveness_aopc: 0, sufficiency_aopc: 0 };
  }
  plan.forEach((p, i) => {
    const drop = full - probabilities[i + 1][options.target];
    (p.kind === 'comp' ? out[p.name].comprehensiveness : out[p.name].sufficiency)[p.bin] = drop;
  });
  for (const s of Object.values(out)) {
    s.comprehensiveness_aopc = mean(s.comprehensiveness);
    s.sufficiency_aopc = mean(s.sufficiency);
  }
  return out;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
