import { describe, expect, it } from 'vitest';
import type { AbstentionRule } from '@glassbox/core';
import { allRule, anyRule, entropyRule, marginRule, maxProbabilityRule, perClassThresholdRule } from './abstention-rules.js';
import { expectGlassboxError } from './test-errors.js';

const LABELS = ['anger', 'joy', 'sadness'];

describe('abstention rule contract', () => {
  const rules: [string, AbstentionRule][] = [
    ['max-probability', maxProbabilityRule(0.5)],
    ['margin', marginRule(0.2)],
    ['entropy', entropyRule(1)],
    ['per-class-threshold', perClassThresholdRule({ anger: 0.5, joy: 0.6 })],
    ['any', anyRule([maxProbabilityRule(0.5), marginRule(0.2)])],
    ['all', allRule([maxProbabilityRule(0.5), marginRule(0.2)])],
  ];
  it.each(rules)('%s is a core abstention plugin that explains each abstention with numbers', (name, rule) => {
    expect(rule).toMatchObject({ kind: 'abstention', name });
    expect(rule.decide([0.9, 0.05, 0.05], LABELS)).toEqual({ abstain: false });
    const unsure = rule.decide([0.34, 0.33, 0.33], LABELS);
    expect(unsure.abstain).toBe(true);
    expect(unsure.reason).toMatch(/\d\.\d\d/);
    expectGlassboxError(() => rule.decide([0.5, 0.5], LABELS), 'INVALID_INPUT', /3 labels, 2 probabilities/);
  });
});

describe('maxProbabilityRule', () => {
  it('abstains when the top probability is below the threshold', () => {
    const rule = maxProbabilityRule(0.55);
    expect(rule.decide([0.41, 0.3, 0.29], LABELS)).toEqual({ abstain: true, reason: 'max probability 0.41 < 0.55' });
    expect(rule.decide([0.3, 0.55, 0.15], LABELS)).toEqual({ abstain: false });
  });

  it('prints enough digits to tell a near miss from the threshold', () => {
    expect(maxProbabilityRule(0.55).decide([0.5499, 0.3, 0.1501], LABELS).reason).toBe('max probability 0.5499 < 0.5500');
  });

  it.each([-0.1, 1.01, Number.NaN, '0.5' as unknown as number])('rejects the threshold %s', (t) => {
    expectGlassboxError(() => maxProbabilityRule(t), 'INVALID_OPTION', /max-probability threshold must be a number in \[0, 1\]/);
  });
});

describe('marginRule', () => {
  it('abstains when top-1 minus top-2 is below the threshold', () => {
    const rule = marginRule(0.1);
    expect(rule.decide([0.45, 0.15, 0.4], LABELS)).toEqual({ abstain: true, reason: 'margin 0.05 < 0.10' });
    expect(rule.decide([0.5, 0.15, 0.35], LABELS)).toEqual({ abstain: false });
    expectGlassboxError(() => marginRule(2), 'INVALID_OPTION', /margin threshold must be a number in \[0, 1\] \(got 2\)/);
  });
});

describe('entropyRule', () => {
  it('abstains when the entropy in bits exceeds maxBits', () => {
    const rule = entropyRule(1);
    expect(rule.decide([0.25, 0.25, 0.25, 0.25], ['a', 'b', 'c', 'd'])).toEqual({ abstain: true, reason: 'entropy 2.00 > 1.00 bits' });
    // H(0.5, 0.5, 0) = 1 bit exactly: not above the limit.
    expect(rule.decide([0.5, 0.5, 0], LABELS)).toEqual({ abstain: false });
    expect(rule.decide([1, 0, 0], LABELS)).toEqual({ abstain: false });
    expectGlassboxError(() => entropyRule(-1), 'INVALID_OPTION', /entropy maxBits must be a number >= 0 \(got -1\)/);
  });
});

describe('perClassThresholdRule', () => {
  const rule = perClassThresholdRule({ joy: 0.6, sadness: 0.4 });

  it('applies the predicted label’s own threshold', () => {
    expect(rule.decide([0.2, 0.5, 0.3], LABELS)).toEqual({ abstain: true, reason: 'joy probability 0.50 < 0.60' });
    expect(rule.decide([0.2, 0.35, 0.45], LABELS)).toEqual({ abstain: false });
    // anger has no threshold: never abstains, however low.
    expect(rule.decide([0.34, 0.33, 0.33], LABELS)).toEqual({ abstain: false });
  });

  it('names the model labels when a threshold names an unknown one', () => {
    expectGlassboxError(
      () => perClassThresholdRule({ happiness: 0.5 }).decide([0.2, 0.5, 0.3], LABELS),
      'UNKNOWN_LABEL',
      /unknown label\(s\) "happiness"; model labels: anger, joy, sadness/,
    );
  });

  it('rejects empty thresholds and thresholds outside [0, 1]', () => {
    expectGlassboxError(() => perClassThresholdRule({}), 'INVALID_OPTION', /at least one label/);
    expectGlassboxError(() => perClassThresholdRule({ joy: 1.5 }), 'INVALID_OPTION', /threshold for "joy" must be a number in \[0, 1\] \(got 1.5\)/);
  });
});

describe('anyRule / allRule', () => {
  const low = maxProbabilityRule(0.6);
  const close = marginRule(0.2);
  const lowOnly = [0.5, 0.1, 0.4]; // top 0.5 < 0.6, margin 0.1 < 0.2
  const confident = [0.55, 0.05, 0.4]; // top 0.55 < 0.6, margin 0.15 < 0.2
  const wideMargin = [0.55, 0.05, 0.3]; // top 0.55 < 0.6 but margin 0.25 >= 0.2 (rows need not sum to 1 here)

  it('anyRule abstains when one rule does and joins the reasons of those that do', () => {
    expect(anyRule([low, close]).decide(lowOnly, LABELS)).toEqual({ abstain: true, reason: 'max probability 0.50 < 0.60; margin 0.10 < 0.20' });
    expect(anyRule([low, close]).decide(wideMargin, LABELS)).toEqual({ abstain: true, reason: 'max probability 0.55 < 0.60' });
    expect(anyRule([low, close]).decide([0.8, 0.1, 0.1], LABELS)).toEqual({ abstain: false });
  });

  it('allRule abstains only when every rule does', () => {
    expect(allRule([low, close]).decide(confident, LABELS)).toEqual({ abstain: true, reason: 'max probability 0.55 < 0.60 and margin 0.15 < 0.20' });
    expect(allRule([low, close]).decide(wideMargin, LABELS)).toEqual({ abstain: false });
  });

  it('rejects an empty list and non-rules', () => {
    expectGlassboxError(() => anyRule([]), 'INVALID_OPTION', /anyRule needs a non-empty array/);
    expectGlassboxError(() => allRule([{} as AbstentionRule]), 'INVALID_OPTION', /allRule: rules\[0\] is not an abstention rule/);
  });
});
