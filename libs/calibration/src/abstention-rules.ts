import { GlassboxError } from '@glassbox/core';
import type { AbstentionDecision, AbstentionRule } from '@glassbox/core';
import { margin, maxProbability, negativeEntropy } from './confidence-scores.js';

const KEEP: AbstentionDecision = { abstain: false };

/** Checks one probability per label; returns the row as a Matrix of one row. */
function probabilityRow(probabilities: ArrayLike<number>, labels: readonly string[]): number[] {
  if (probabilities.length !== labels.length || labels.length < 2) {
    throw new GlassboxError(
      'INVALID_INPUT',
      `an abstention rule needs one probability per label: ${labels.length} labels, ${probabilities.length} probabilities.`,
    );
  }
  return Array.from(probabilities);
}

function checkRange(value: number, name: string, min: number, max: number): void {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new GlassboxError('INVALID_OPTION', `${name} must be a number ${range} (got ${String(value)}).`);
  }
}

/** "value op limit" with enough decimals (2 at least) that the two numbers print differently. */
function formatComparison(value: number, op: '<' | '>', limit: number): string {
  let digits = 2;
  while (digits < 17 && value.toFixed(digits) === limit.toFixed(digits)) digits++;
  return `${value.toFixed(digits)} ${op} ${limit.toFixed(digits)}`;
}

/** Abstain when the top probability is below `threshold` (in [0, 1]). */
export function maxProbabilityRule(threshold: number): AbstentionRule {
  checkRange(threshold, 'max-probability threshold', 0, 1);
  return {
    kind: 'abstention',
    name: 'max-probability',
    description: `abstain when the top probability is below ${threshold}`,
    decide(probabilities, labels) {
      const top = maxProbability(probabilityRow(probabilities, labels), labels.length)[0];
      return top < threshold ? { abstain: true, reason: `max probability ${formatComparison(top, '<', threshold)}` } : KEEP;
    },
  };
}

/** Abstain when the top-1 minus top-2 probability is below `threshold` (in [0, 1]). */
export function marginRule(threshold: number): AbstentionRule {
  checkRange(threshold, 'margin threshold', 0, 1);
  return {
    kind: 'abstention',
    name: 'margin',
    description: `abstain when top-1 minus top-2 probability is below ${threshold}`,
    decide(probabilities, labels) {
      const m = margin(probabilityRow(probabilities, labels), labels.length)[0];
      return m < threshold ? { abstain: true, reason: `margin ${formatComparison(m, '<', threshold)}` } : KEEP;
    },
  };
}

/**
 * Abstain when the entropy -sum p log2 p exceeds `maxBits` (>= 0). Computed as
 * -negativeEntropy / ln 2, the same arithmetic as the certificate's score, so a certified
 * threshold accepts exactly the rows it was certified on.
 */
export function entropyRule(maxBits: number): AbstentionRule {
  checkRange(maxBits, 'entropy maxBits', 0, Infinity);
  return {
    kind: 'abstention',
    name: 'entropy',
    description: `abstain when the entropy exceeds ${maxBits} bits`,
    decide(probabilities, labels) {
      const bits = -negativeEntropy(probabilityRow(probabilities, labels), labels.length)[0] / Math.LN2;
      return bits > maxBits ? { abstain: true, reason: `entropy ${formatComparison(bits, '>', maxBits)} bits` } : KEEP;
    },
  };
}

/**
 * Abstain when the predicted label (argmax, first on ties) has a threshold and its probability is
 * below it. Labels without a threshold never abstain; thresholds naming a label the model lacks
 * throw UNKNOWN_LABEL on first use.
 */
export function perClassThresholdRule(thresholds: Record<string, number>): AbstentionRule {
  if (thresholds === null || typeof thresholds !== 'object' || Array.isArray(thresholds) || Object.keys(thresholds).length === 0) {
    throw new GlassboxError('INVALID_OPTION', 'per-class thresholds must be an object naming at least one label, e.g. { "joy": 0.6 }.');
  }
  const own = { ...thresholds };
  for (const [label, t] of Object.entries(own)) checkRange(t, `per-class threshold for "${label}"`, 0, 1);
  return {
    kind: 'abstention',
    name: 'per-class-threshold',
    description: `abstain when the predicted label's probability is below its threshold (${Object.keys(own).join(', ')})`,
    decide(probabilities, labels) {
      const unknown = Object.keys(own).filter((label) => !labels.includes(label));
      if (unknown.length > 0) {
        throw new GlassboxError(
          'UNKNOWN_LABEL',
          `per-class thresholds name unknown label(s) ${unknown.map((l) => JSON.stringify(l)).join(', ')}; model labels: ${labels.join(', ')}.`,
        );
      }
      const row = probabilityRow(probabilities, labels);
      let best = 0;
      for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
      const label = labels[best];
      const threshold = own[label];
      return threshold !== undefined && row[best] < threshold
        ? { abstain: true, reason: `${label} probability ${formatComparison(row[best], '<', threshold)}` }
        : KEEP;
    },
  };
}

function checkRules(rules: readonly AbstentionRule[], name: string): readonly AbstentionRule[] {
  if (!Array.isArray(rules) || rules.length === 0) {
    throw new GlassboxError('INVALID_OPTION', `${name}Rule needs a non-empty array of abstention rules.`);
  }
  rules.forEach((rule, i) => {
    if (rule === null || typeof rule !== 'object' || rule.kind !== 'abstention' || typeof rule.decide !== 'function') {
      throw new GlassboxError('INVALID_OPTION', `${name}Rule: rules[${i}] is not an abstention rule ({ kind: 'abstention', name, decide }).`);
    }
  });
  return [...rules];
}

/** Every rule's decision, in order. */
const decideAll = (rules: readonly AbstentionRule[], probabilities: ArrayLike<number>, labels: readonly string[]) =>
  rules.map((rule) => ({ rule, decision: rule.decide(probabilities, labels) }));

/** Abstain when at least one rule abstains; the reason joins the abstaining rules' reasons. */
export function anyRule(rules: readonly AbstentionRule[]): AbstentionRule {
  const own = checkRules(rules, 'any');
  return {
    kind: 'abstention',
    name: 'any',
    description: `abstain when any of ${own.map((r) => r.name).join(', ')} abstains`,
    decide(probabilities, labels) {
      const abstaining = decideAll(own, probabilities, labels).filter((d) => d.decision.abstain);
      if (abstaining.length === 0) return KEEP;
      return { abstain: true, reason: abstaining.map((d) => d.decision.reason ?? d.rule.name).join('; ') };
    },
  };
}

/** Abstain only when every rule abstains; the reason joins all their reasons. */
export function allRule(rules: readonly AbstentionRule[]): AbstentionRule {
  const own = checkRules(rules, 'all');
  return {
    kind: 'abstention',
    name: 'all',
    description: `abstain when all of ${own.map((r) => r.name).join(', ')} abstain`,
    decide(probabilities, labels) {
      const decisions = decideAll(own, probabilities, labels);
      if (!decisions.every((d) => d.decision.abstain)) return KEEP;
      return { abstain: true, reason: decisions.map((d) => d.decision.reason ?? d.rule.name).join(' and ') };
    },
  };
}
