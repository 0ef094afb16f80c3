import { GlassboxError } from '@glassbox/core';

export type HeadFusion = 'mean' | 'max' | 'min';

export interface RolloutOptions {
  /** How the heads of a layer combine (default 'mean', as Abnar & Zuidema 2020). */
  fusion?: HeadFusion;
  /** Unpadded length of the sequence: positions at and after it are left out (default seqLen). */
  length?: number;
}

/**
 * Fuses the heads of one layer's attention [heads x seqLen x seqLen] (one batch item) into an
 * n x n matrix over the first n = length positions.
 */
export function fuseHeads(layer: ArrayLike<number>, heads: number, seqLen: number, length: number, fusion: HeadFusion): Float64Array {
  const n = length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = fusion === 'mean' ? 0 : fusion === 'max' ? -Infinity : Infinity;
      for (let h = 0; h < heads; h++) {
        const v = layer[h * seqLen * seqLen + i * seqLen + j];
        acc = fusion === 'mean' ? acc + v / heads : fusion === 'max' ? Math.max(acc, v) : Math.min(acc, v);
      }
      out[i * n + j] = acc;
    }
  }
  return out;
}

/** 0.5 * A + 0.5 * I, rows renormalised to sum to 1 (the residual connection of rollout). */
export function addResidual(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      out[i * n + j] = 0.5 * a[i * n + j] + (i === j ? 0.5 : 0);
      sum += out[i * n + j];
    }
    for (let j = 0; j < n; j++) out[i * n + j] /= sum;
  }
  return out;
}

/** n x n product a · b. */
function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const v = a[i * n + k];
      if (v === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += v * b[k * n + j];
    }
  }
  return out;
}

/**
 * Attention rollout (Abnar & Zuidema 2020) for one sequence: per layer, fuse heads, add the
 * residual and renormalise, then multiply bottom-up (R_l = Â_l · R_{l-1}). Returns the rolled-out
 * matrix after every layer ([n x n] each; rows sum to 1). `layers[l]` is layer l's attention for
 * this item, [heads x seqLen x seqLen].
 */
export function rolloutMatrices(layers: ReadonlyArray<ArrayLike<number>>, heads: number, seqLen: number, options: RolloutOptions = {}): Float64Array[] {
  const n = options.length ?? seqLen;
  const fusion = options.fusion ?? 'mean';
  if (!['mean', 'max', 'min'].includes(fusion)) {
    throw new GlassboxError('INVALID_OPTION', `head fusion must be mean, max or min, got "${fusion}"`);
  }
  if (n < 1 || n > seqLen) throw new GlassboxError('INVALID_OPTION', `length must be in [1, ${seqLen}], got ${n}`);
  const out: Float64Array[] = [];
  let rolled: Float64Array | null = null;
  for (const layer of layers) {
    if (layer.length < heads * seqLen * seqLen) {
      throw new GlassboxError('INVALID_INPUT', `an attention layer has ${layer.length} values, expected heads x seqLen x seqLen = ${heads * seqLen * seqLen}`);
    }
    const a = addResidual(fuseHeads(layer, heads, seqLen, n, fusion), n);
    rolled = rolled ? matmul(a, rolled, n) : a;
    out.push(rolled);
  }
  return out;
}

/** The `<s>` (position 0) row of the last rolled-out matrix: how much each position feeds `<s>`. */
export function attentionRollout(layers: ReadonlyArray<ArrayLike<number>>, heads: number, seqLen: number, options: RolloutOptions = {}): Float64Array {
  const matrices = rolloutMatrices(layers, heads, seqLen, options);
  const n = options.length ?? seqLen;
  return matrices[matrices.length - 1].slice(0, n);
}
