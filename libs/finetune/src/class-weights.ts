/** Per-class loss weights: 'none' (all 1) or 'auto', inverse frequency n / (k x count). */
export type ClassWeighting = 'none' | 'auto';

/** Rows per class among `rows` (all rows when omitted). */
export function classCounts(labels: ArrayLike<number>, numClasses: number, rows?: readonly number[]): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  if (rows) for (const r of rows) counts[labels[r]]++;
  else for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/**
 * Inverse-frequency weights as scikit-learn's class_weight='balanced': n / (k x count_c), so a
 * balanced set gets all 1s and every class carries the same total weight. Classes with no
 * rows (counted among the k present ones only) get weight 0.
 */
export function classWeights(counts: readonly number[], mode: ClassWeighting): Float64Array {
  const w = new Float64Array(counts.length);
  if (mode === 'none') return w.fill(1);
  const present = counts.filter((c) => c > 0).length;
  const n = counts.reduce((a, b) => a + b, 0);
  counts.forEach((c, j) => (w[j] = c > 0 ? n / (present * c) : 0));
  return w;
}
