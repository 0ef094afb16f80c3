import { chiSquareQuantile } from '../chi-square.js';

const quantiles = new Map<string, number>();

/** χ²_{1-α}(df), memoised (a window re-evaluates with the same α and df many times). */
export function criticalChiSquare(alpha: number, df: number): number {
  const key = `${alpha}:${df}`;
  let q = quantiles.get(key);
  if (q === undefined) {
    q = chiSquareQuantile(1 - alpha, df);
    quantiles.set(key, q);
  }
  return q;
}

/** The two-sample KS critical value c(α) sqrt((n + m) / (n m)), c(α) = sqrt(-ln(α / 2) / 2). */
export function criticalKs(alpha: number, n: number, m: number): number {
  return Math.sqrt(-Math.log(alpha / 2) / 2) * Math.sqrt((n + m) / (n * m));
}

/** Shares of a count vector (all 0 when it sums to 0). */
export function shares(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => (total > 0 ? c / total : 0));
}
