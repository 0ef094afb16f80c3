/** A padded batch in the layout the ONNX graph takes: row-major [batchSize x seqLen] int64. */
export interface ForwardBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batchSize: number;
  seqLen: number;
}

/**
 * Right-pads token id sequences to the longest one with `padId` (attention_mask 0 there).
 * RoBERTa derives positions from input_ids, so padding must stay at the end of a row.
 */
export function padBatch(sequences: ReadonlyArray<ArrayLike<number>>, padId: number): ForwardBatch {
  const batchSize = sequences.length;
  let seqLen = 0;
  for (const s of sequences) seqLen = Math.max(seqLen, s.length);
  const inputIds = new BigInt64Array(batchSize * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batchSize * seqLen);
  sequences.forEach((s, r) => {
    for (let j = 0; j < s.length; j++) {
      inputIds[r * seqLen + j] = BigInt(s[j]);
      attentionMask[r * seqLen + j] = 1n;
    }
  });
  return { inputIds, attentionMask, batchSize, seqLen };
}

/**
 * Groups items into batches after sorting them by length, so each batch pads little: at most
 * `batchSize` items and at most `maxBatchTokens` padded tokens (rows x longest row) each.
 * Returns indices into `lengths`.
 */
export function lengthBuckets(lengths: ArrayLike<number>, batchSize: number, maxBatchTokens: number): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    const longest = lengths[i];
    if (current.length > 0 && (current.length >= batchSize || (current.length + 1) * longest > maxBatchTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
