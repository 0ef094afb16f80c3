import { GlassboxError } from '@glassbox/core';

/** Kendall's tau-b between two score vectors (ties handled); NaN when either is constant. */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new GlassboxError('INVALID_INPUT', `score vectors differ in length: ${a.length} vs ${b.length}`);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i] - a[j]);
      const db = Math.sign(b[i] - b[j]);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  return (concordant - discordant) / Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
}

/** Share of the k highest-scored units two methods have in common (k clipped to the length). */
export function topKOverlap(a: readonly number[], b: readonly number[], k: number): number {
  if (a.length !== b.length) throw new GlassboxError('INVALID_INPUT', `score vectors differ in length: ${a.length} vs ${b.length}`);
  const n = Math.min(k, a.length);
  if (n < 1) return NaN;
  const top = (s: readonly number[]) => new Set(s.map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, n).map(([, i]) => i));
  const ta = top(a);
  let shared = 0;
  for (const i of top(b)) if (ta.has(i)) shared++;
  return shared / n;
}

/** Agreement of every pair of methods (in the order given), on their top k units. */
export interface Agreement {
  k: number;
  pairs: Array<{ methods: [string, string]; kendall_tau: number; top_k_overlap: number }>;
  /** With exactly two methods: their pair's figures (kept for clients of the two-method shape). */
  kendall_tau?: number;
  top_k_overlap?: number;
}

/** Pairwise Kendall tau and top-k overlap of any number of score vectors; null below two methods. */
export function agreementOf(scores: Readonly<Record<string, readonly number[]>>, k: number): Agreement | null {
  const names = Object.keys(scores);
  if (names.length < 2) return null;
  const pairs: Agreement['pairs'] = [];
  names.forEach((a, i) => {
    for (const b of names.slice(i + 1)) {
      pairs.push({ methods: [a, b], kendall_tau: kendallTau(scores[a], scores[b]), top_k_overlap: topKOverlap(scores[a], scores[b], k) });
    }
  });
  const out: Agreement = { k, pairs };
  if (pairs.length === 1) {
    out.kendall_tau = pairs[0].kendall_tau;
    out.top_k_overlap = pairs[0].top_k_overlap;
  }
  return out;
}
