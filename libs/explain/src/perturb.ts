import { lengthBuckets, padBatch, softmax, type InferenceEngine } from '@glassbox/core';

/** One sequence to score: token ids and, optionally, an attention mask of the same length. */
export interface Perturbation {
  ids: number[];
  mask?: number[];
}

export interface ScoredBatch {
  /** Probabilities per perturbation, in input order. */
  probabilities: number[][];
  /** Forward passes made. */
  forwardCalls: number;
}

const keyOf = (p: Perturbation) => `${p.ids.join(',')}|${p.mask?.join('') ?? ''}`;

/**
 * Runs perturbed sequences through the model in as few forward passes as the engine's batch size
 * and padded-token budget allow; identical perturbations are computed once.
 */
export async function scorePerturbations(engine: InferenceEngine, perturbations: readonly Perturbation[]): Promise<ScoredBatch> {
  const unique = new Map<string, number>();
  const rows: Perturbation[] = [];
  const index = perturbations.map((p) => {
    const key = keyOf(p);
    let i = unique.get(key);
    if (i === undefined) {
      i = rows.length;
      unique.set(key, i);
      rows.push(p);
    }
    return i;
  });
  const probs: number[][] = new Array(rows.length);
  const { batchSize, maxBatchTokens } = engine.options;
  let forwardCalls = 0;
  for (const batch of lengthBuckets(rows.map((r) => r.ids.length), batchSize, maxBatchTokens)) {
    const fb = padBatch(batch.map((i) => rows[i].ids), engine.tokenizer.padId);
    batch.forEach((i, r) => {
      const mask = rows[i].mask;
      if (mask) mask.forEach((m, j) => (fb.attentionMask[r * fb.seqLen + j] = BigInt(m)));
    });
    const { logits, numLabels } = await engine.forward(fb);
    forwardCalls++;
    batch.forEach((i, r) => {
      probs[i] = softmax(logits.subarray(r * numLabels, (r + 1) * numLabels));
    });
  }
  return { probabilities: index.map((i) => probs[i]), forwardCalls };
}
