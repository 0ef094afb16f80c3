/**
 * Row-wise softmax of a row-major [rows x cols] matrix, computed stably (max subtracted), in
 * float64 and stored in a new Float32Array. An empty matrix returns an empty array.
 */
export function softmaxRows(logits: ArrayLike<number>, cols: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += cols) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, logits[r + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(logits[r + j] - max);
    for (let j = 0; j < cols; j++) out[r + j] = Math.exp(logits[r + j] - max) / sum;
  }
  return out;
}

/** Softmax of one vector, in float64. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, logits[j]);
  let sum = 0;
  const e = new Array<number>(logits.length);
  for (let j = 0; j < logits.length; j++) {
    e[j] = Math.exp(logits[j] - max);
    sum += e[j];
  }
  return e.map((v) => v / sum);
}

/** Index of the largest value (the first on ties); -1 for an empty array. */
export function argmax(values: ArrayLike<number>, start = 0, end = values.length): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = start; i < end; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i - start;
    }
  }
  return best;
}
