import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { CERTIFIABLE_RULES, certifyAbstention, ruleFromCertificate } from './abstention-certificate.js';
import type { AbstentionCertificate, CertifiableRule } from './abstention-certificate.js';
import { margin, maxProbability, negativeEntropy } from './confidence-scores.js';
import { softmaxRows64 } from './log-softmax.js';
import { topLabel } from './metrics.js';
import { aurc, riskCoverageCurve, selectiveStats, sgr } from './selective.js';
import { applyTemperature, fitTemperature } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';
import { overconfidentRows } from './test-synthetic.js';

const K = 7;
const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
/** Calibrated probabilities (overconfidence 1) of the synthetic generator, about 77% accurate. */
function calibratedRows(n: number, seed: number): { probs: Float64Array; labels: Int32Array } {
  const rows = overconfidentRows(n, K, seed, 1, 4);
  return { probs: softmaxRows64(rows.logits, K), labels: rows.labels };
}
const { probs, labels } = calibratedRows(2000, 5);
const { correct } = topLabel(probs, labels, K);
const scoreOf: Record<CertifiableRule, Float64Array> = {
  'max-probability': maxProbability(probs, K),
  margin: margin(probs, K),
  entropy: negativeEntropy(probs, K),
};

/** Rows the rule accepts, and the error rate among them. */
function applyRule(certificate: AbstentionCertificate): { coverage: number; risk: number } {
  const rule = ruleFromCertificate(certificate);
  let accepted = 0;
  let errors = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!rule.decide(probs.subarray(i * K, (i + 1) * K), LABELS).abstain) {
      accepted++;
      if (!correct[i]) errors++;
    }
  }
  return { coverage: accepted / labels.length, risk: errors / accepted };
}

describe('certifyAbstention', () => {
  it('certifies the lowest-AURC score with SGR', () => {
    const result = certifyAbstention(probs, labels, K, { targetRisk: 0.2 });
    for (const rule of CERTIFIABLE_RULES) expect(result.aurc[rule]).toBe(aurc(scoreOf[rule], correct));
    const best = CERTIFIABLE_RULES.reduce((a, b) => (result.aurc[b] < result.aurc[a] ? b : a));
    const c = result.certificate;
    expect(c.rule).toBe(best);
    const want = sgr(scoreOf[best], correct, { targetRisk: 0.2, delta: 0.001 });
    expect(c).toEqual({
      rule: best,
      threshold: want.threshold,
      target_risk: 0.2,
      delta: 0.001,
      n: 2000,
      risk_bound: want.riskBound,
      coverage: want.coverage,
    });
    expect(c.risk_bound).toBeLessThan(0.2);
    expect(c.coverage).toBeGreaterThan(0.2);
    expect(result.curve).toEqual(riskCoverageCurve(scoreOf[best], correct));
  });

  it.each(CERTIFIABLE_RULES.map((r) => [r]))('restricted to %s, builds a rule accepting exactly the certified rows', (rule) => {
    const { certificate } = certifyAbstention(probs, labels, K, { targetRisk: 0.15, delta: 0.01, rules: [rule] });
    expect(certificate.rule).toBe(rule);
    const onRows = selectiveStats(scoreOf[rule], correct, certificate.threshold);
    expect(certificate.coverage).toBe(onRows.coverage);
    const applied = applyRule(certificate);
    expect(applied.coverage).toBe(certificate.coverage);
    expect(applied.risk).toBeCloseTo(onRows.risk, 12);
    expect(ruleFromCertificate(certificate).name).toBe(rule);
  });

  it('turns an entropy certificate (negative entropy in nats) into a limit in bits', () => {
    const rule = ruleFromCertificate({ rule: 'entropy', threshold: -Math.LN2, target_risk: 0.1, delta: 0.01, n: 10, risk_bound: 0.05, coverage: 0.5 });
    // H(0.5, 0.5) = ln 2 nats = 1 bit: accepted; a little more spread: abstains.
    expect(rule.decide([0.5, 0.5, 0], LABELS.slice(0, 3)).abstain).toBe(false);
    expect(rule.decide([0.5, 0.49, 0.01], LABELS.slice(0, 3))).toMatchObject({ abstain: true, reason: expect.stringMatching(/> 1\.00 bits/) });
  });

  it('reports the lowest achievable risk bound: the smallest target SGR meets', () => {
    const small = calibratedRows(300, 9);
    const certify = (targetRisk: number) => certifyAbstention(small.probs, small.labels, K, { targetRisk, rules: ['max-probability'] });
    let thrown: unknown;
    try {
      certify(0.02);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GlassboxError);
    const error = thrown as GlassboxError;
    expect(error.code).toBe('INVALID_OPTION');
    const lowest = error.details?.lowestRiskBound as number;
    expect(lowest).toBeGreaterThan(0.02);
    expect(lowest).toBeLessThan(1);
    expect(error.message).toMatch(/no max-probability threshold keeps the risk bound under targetRisk 0.02 at delta 0.001 on 300 rows/);
    expect(error.message).toContain(`lowest achievable bound is ${lowest.toFixed(4)} (accepting the `);
    // Just above the reported bound SGR succeeds (its search may then go on to a lower bound); at it, SGR still fails.
    expect(certify(lowest + 1e-9).certificate.risk_bound).toBeLessThanOrEqual(lowest);
    expectGlassboxError(() => certify(lowest), 'INVALID_OPTION', /lowest achievable bound/);
  });

  it('rejects bad options and inputs', () => {
    expectGlassboxError(() => certifyAbstention(probs, labels, K, { targetRisk: 0 }), 'INVALID_OPTION', /targetRisk must be a number strictly between 0 and 1/);
    expectGlassboxError(() => certifyAbstention(probs, labels, K, { targetRisk: 0.1, delta: 1 }), 'INVALID_OPTION', /delta/);
    expectGlassboxError(
      () => certifyAbstention(probs, labels, K, { targetRisk: 0.1, rules: ['energy' as CertifiableRule] }),
      'INVALID_OPTION',
      /rules must be a non-empty list of max-probability, margin, entropy/,
    );
    expectGlassboxError(() => certifyAbstention(probs, labels.subarray(1), K, { targetRisk: 0.1 }), 'INVALID_INPUT', /one label per row/);
    expectGlassboxError(
      () => ruleFromCertificate({ rule: 'energy' as CertifiableRule, threshold: 0, target_risk: 0.1, delta: 0.01, n: 1, risk_bound: 0, coverage: 0 }),
      'INVALID_OPTION',
      /certificate rule must be one of max-probability, margin, entropy/,
    );
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: certified max-probability abstention', () => {
  it('reproduces selective_sgr threshold and risk_bound through certifyAbstention', () => {
    const g = loadGolden();
    const { temperature } = fitTemperature(g.calibration.logits, g.calibration.labels, g.classes);
    const cal = applyTemperature(g.calibration.logits, temperature, g.classes);
    const want = g.expected.selective_sgr;
    const { certificate } = certifyAbstention(cal, g.calibration.labels, g.classes, {
      targetRisk: want.target_risk,
      delta: want.delta,
      rules: ['max-probability'],
    });
    expect(Math.abs(certificate.threshold - want.threshold)).toBeLessThan(1e-4);
    expect(Math.abs(certificate.risk_bound - want.risk_bound)).toBeLessThan(1e-4);
  });
});
