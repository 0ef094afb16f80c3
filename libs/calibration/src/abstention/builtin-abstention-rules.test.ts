import { createPluginRegistry, mulberry32, type AbstentionPlugin } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { entropyRule, marginRule, maxProbabilityRule } from '../abstention-rules.js';
import { abstentionSpecs, parseAbstentionSpec } from '../abstention-spec.js';
import { BUILTIN_ABSTENTION_RULES, builtinAbstentionRules } from './builtin-abstention-rules.js';

const labels = ['a', 'b', 'c', 'd'];

function randomRow(rng: () => number): number[] {
  const raw = labels.map(() => rng() ** 3);
  const total = raw.reduce((x, y) => x + y, 0);
  return raw.map((x) => x / total);
}

describe('built-in abstention rules', () => {
  it('are registered descriptors whose spelling comes from the registry', () => {
    expect(builtinAbstentionRules().names()).toEqual(BUILTIN_ABSTENTION_RULES.map((p) => p.name));
    expect(abstentionSpecs()).toBe('certified, max-probability:THRESHOLD, margin:THRESHOLD, entropy:BITS');
  });

  it('decide exactly as the rule factories, through NAME:VALUE', () => {
    const rng = mulberry32(5);
    const pairs = [
      [parseAbstentionSpec('max-probability:0.45', null), maxProbabilityRule(0.45)],
      [parseAbstentionSpec('margin:0.2', null), marginRule(0.2)],
      [parseAbstentionSpec('entropy:1.2', null), entropyRule(1.2)],
    ] as const;
    for (let i = 0; i < 300; i++) {
      const row = randomRow(rng);
      for (const [parsed, factory] of pairs) expect(parsed.decide(row, labels), parsed.name).toEqual(factory.decide(row, labels));
    }
  });

  it('refuses values outside an option schema with INVALID_OPTION naming the rule', () => {
    expect(() => parseAbstentionSpec('max-probability:1.5', null)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('"max-probability"') }));
    expect(() => parseAbstentionSpec('margin:x', null)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => parseAbstentionSpec('certified:0.3', null)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('a registered third-party rule is parsed, spelled and run like the built-ins', () => {
    const rules = builtinAbstentionRules();
    const bottom: AbstentionPlugin<{ least: number }> = {
      kind: 'abstention',
      name: 'flat-bottom',
      description: 'Abstain when the least probable label is above a floor (a flat distribution).',
      options: { least: { type: 'number', default: 0.2, minimum: 0, maximum: 1 } },
      decide: (p, _labels, { least }) => (Math.min(...Array.from(p)) > least ? { abstain: true, reason: 'flat' } : { abstain: false }),
    };
    rules.register(bottom);
    expect(abstentionSpecs(rules)).toMatch(/, flat-bottom:LEAST$/);
    const rule = parseAbstentionSpec('flat-bottom:0.2', null, rules);
    expect(rule.name).toBe('flat-bottom');
    expect(rule.decide([0.25, 0.25, 0.25, 0.25], labels)).toEqual({ abstain: true, reason: 'flat' });
    expect(rule.decide([0.7, 0.1, 0.1, 0.1], labels).abstain).toBe(false);
    expect(() => parseAbstentionSpec('flat-bottom:0.2', null, createPluginRegistry('abstention'))).toThrow(/not a rule/);
  });
});
