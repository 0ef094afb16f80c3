import { GlassboxError } from '@glassbox/core';
import { checkInteger } from './validate.js';

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) for x > 0 (Lanczos approximation, g = 7, about 15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new GlassboxError('INVALID_INPUT', `logGamma needs x > 0 (got ${x}).`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * P(X <= k) for X ~ Binomial(n, p), summed in log space: ln term_i = ln C(n, i) + i ln p +
 * (n - i) ln(1 - p) for i = 0..k, combined by log-sum-exp, so tails far below 1e-308 neither
 * underflow term by term nor lose the largest terms. Exact at the edges: k < 0 gives 0, k >= n
 * gives 1, p = 0 gives 1, p = 1 gives 0.
 */
export function binomialCdf(k: number, n: number, p: number): number {
  checkInteger(n, 'n', 0);
  if (!(p >= 0 && p <= 1)) throw new GlassboxError('INVALID_INPUT', `p must be a probability in [0, 1] (got ${p}).`);
  const kk = Math.floor(k);
  if (kk < 0) return 0;
  if (kk >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const logTerms = new Float64Array(kk + 1);
  let max = -Infinity;
  for (let i = 0; i <= kk; i++) {
    logTerms[i] = logChoose(n, i) + i * logP + (n - i) * logQ;
    max = Math.max(max, logTerms[i]);
  }
  let sum = 0;
  for (const t of logTerms) sum += Math.exp(t - max);
  return Math.min(1, Math.exp(max + Math.log(sum)));
}

/**
 * The smallest b in [0, 1] with binomialCdf(k; n, b) <= level (the CDF falls as b grows), found
 * by bisection to 1e-15 — the Clopper–Pearson-style upper confidence bound on a risk observed as
 * k errors in n trials. Returns 1 when no b < 1 qualifies (k >= n).
 */
export function binomialUpperBound(k: number, n: number, level: number): number {
  if (!(level > 0 && level < 1)) {
    throw new GlassboxError('INVALID_OPTION', `level must be a number strictly between 0 and 1 (got ${level}).`);
  }
  if (Math.floor(k) >= n) return 1;
  let lo = 0;
  let hi = 1;
  while (hi - lo > 1e-15) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (binomialCdf(k, n, mid) <= level) hi = mid;
    else lo = mid;
  }
  return hi;
}
