import { GlassboxError } from '@glassbox/core';
import type { AbstentionRule } from '@glassbox/core';
import { entropyRule, marginRule, maxProbabilityRule } from './abstention-rules.js';
import { binomialUpperBound } from './binomial.js';
import { margin, maxProbability, negativeEntropy } from './confidence-scores.js';
import { topLabel } from './metrics.js';
import { aurc, riskCoverageCurve, sgr } from './selective.js';
import type { Correctness, RiskCoverageCurve } from './selective.js';
import { asLabels, asMatrix, checkOpenUnit } from './validate.js';
import type { Matrix } from './validate.js';

/** The confidence scores a certificate can be issued for (the abstention rule of the same name). */
export type CertifiableRule = 'max-probability' | 'margin' | 'entropy';

export const CERTIFIABLE_RULES: readonly CertifiableRule[] = ['max-probability', 'margin', 'entropy'];

/**
 * A Selection-with-Guaranteed-Risk certificate: accepting the rows whose score is >= `threshold`
 * keeps the selective risk at or below `risk_bound` (< `target_risk`) with probability >= 1 - `delta`,
 * as measured on `n` calibration rows, where it covered `coverage` of them. `threshold` is on the
 * score's own scale: top probability, top-1 minus top-2, or negative entropy sum p ln p in nats
 * (<= 0) for 'entropy'; `ruleFromCertificate` turns it into the abstention rule.
 */
export interface AbstentionCertificate {
  rule: CertifiableRule;
  threshold: number;
  target_risk: number;
  delta: number;
  n: number;
  risk_bound: number;
  coverage: number;
}

export interface CertifyAbstentionOptions {
  /** Largest acceptable selective risk r*, in (0, 1). */
  targetRisk: number;
  /** The guarantee fails with probability at most delta (default 0.001). */
  delta?: number;
  /** Scores to choose from (default all three); the lowest-AURC one is certified. */
  rules?: readonly CertifiableRule[];
}

export interface AbstentionCertification {
  certificate: AbstentionCertificate;
  /** AURC of every score on these rows (all three, whichever `rules` allowed). */
  aurc: Record<CertifiableRule, number>;
  /** Risk-coverage curve of the certified score. */
  curve: RiskCoverageCurve;
}

const SCORES: Record<CertifiableRule, (probs: Matrix, numClasses: number) => Float64Array> = {
  'max-probability': maxProbability,
  margin,
  entropy: negativeEntropy,
};

function checkRules(rules: readonly CertifiableRule[]): readonly CertifiableRule[] {
  if (!Array.isArray(rules) || rules.length === 0 || rules.some((r) => !CERTIFIABLE_RULES.includes(r))) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `rules must be a non-empty list of ${CERTIFIABLE_RULES.join(', ')} (got ${JSON.stringify(rules)}).`,
    );
  }
  return rules;
}

/**
 * The lowest target SGR can meet here: sgr succeeds for a target r exactly when r exceeds the
 * smallest bound on the path its binary search takes when every step fails (z = ceil(z_max / 2)
 * from z_max = m - 1), because any larger target first diverges from that path by succeeding.
 * Returns that smallest bound and the rows its threshold accepts (ties with it included, as sgr).
 */
function lowestSgrBound(confidence: Float64Array, correct: Correctness, delta: number): { bound: number; accepted: number } {
  const m = confidence.length;
  const steps = Math.max(1, Math.ceil(Math.log2(m)));
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => confidence[b] - confidence[a] || a - b);
  const errorsBefore = new Int32Array(m + 1);
  for (let j = 0; j < m; j++) errorsBefore[j + 1] = errorsBefore[j] + (correct[order[j]] ? 0 : 1);
  let best = { bound: Infinity, accepted: 0 };
  let zMax = m - 1;
  for (let step = 0; step < steps; step++) {
    const z = Math.ceil(zMax / 2);
    let c = z + 1;
    while (c < m && confidence[order[c]] >= confidence[order[z]]) c++;
    const bound = binomialUpperBound(errorsBefore[c], c, delta / steps);
    if (bound < best.bound) best = { bound, accepted: c };
    zMax = z;
  }
  return best;
}

/**
 * Certifies an abstention threshold on labelled (calibrated) probabilities: computes the AURC of
 * each allowed confidence score (max probability, margin, negative entropy), picks the lowest
 * (first in `rules` order on ties), and runs SGR (Geifman & El-Yaniv 2017) on that score. When no
 * threshold meets `targetRisk`, throws INVALID_OPTION with the lowest achievable bound: the
 * smallest target SGR would meet on these rows at this delta (also in `details.lowestRiskBound`).
 */
export function certifyAbstention(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  options: CertifyAbstentionOptions,
): AbstentionCertification {
  const { targetRisk } = options;
  const delta = options.delta ?? 0.001;
  checkOpenUnit(targetRisk, 'targetRisk');
  checkOpenUnit(delta, 'delta');
  const rules = checkRules(options.rules ?? CERTIFIABLE_RULES);
  const p = asMatrix(probs);
  const { correct } = topLabel(p, asLabels(labels), numClasses);
  const scores = Object.fromEntries(CERTIFIABLE_RULES.map((r) => [r, SCORES[r](p, numClasses)])) as Record<CertifiableRule, Float64Array>;
  const areas = Object.fromEntries(CERTIFIABLE_RULES.map((r) => [r, aurc(scores[r], correct)])) as Record<CertifiableRule, number>;
  const rule = rules.reduce((best, r) => (areas[r] < areas[best] ? r : best));
  const result = sgr(scores[rule], correct, { targetRisk, delta });
  if (result.threshold === null || result.riskBound === null) {
    const lowest = lowestSgrBound(scores[rule], correct, delta);
    throw new GlassboxError(
      'INVALID_OPTION',
      `no ${rule} threshold keeps the risk bound under targetRisk ${targetRisk} at delta ${delta} on ${correct.length} rows; ` +
        `the lowest achievable bound is ${lowest.bound.toFixed(4)} (accepting the ${lowest.accepted} most confident rows). ` +
        'Raise targetRisk above it, raise delta, or certify on more (or better calibrated) rows.',
      { details: { rule, lowestRiskBound: lowest.bound, aurc: areas } },
    );
  }
  return {
    certificate: {
      rule,
      threshold: result.threshold,
      target_risk: targetRisk,
      delta,
      n: correct.length,
      risk_bound: result.riskBound,
      coverage: result.coverage,
    },
    aurc: areas,
    curve: riskCoverageCurve(scores[rule], correct),
  };
}

/**
 * The abstention rule a certificate vouches for: max-probability and margin take the threshold
 * as is; for entropy the certified score is negative entropy in nats (accept sum p ln p >= θ), i.e.
 * entropy in bits <= -θ / ln 2, so the rule is entropyRule(-θ / ln 2).
 */
export function ruleFromCertificate(certificate: AbstentionCertificate): AbstentionRule {
  const { rule, threshold } = certificate;
  switch (rule) {
    case 'max-probability':
      return maxProbabilityRule(threshold);
    case 'margin':
      return marginRule(threshold);
    case 'entropy':
      return entropyRule(Math.max(0, -threshold / Math.LN2));
    default:
      throw new GlassboxError('INVALID_OPTION', `certificate rule must be one of ${CERTIFIABLE_RULES.join(', ')} (got ${JSON.stringify(rule)}).`);
  }
}
