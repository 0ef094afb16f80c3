import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { lacSet, parseAbstentionSpec } from './abstention-spec.js';
import type { CalibrationFile } from './calibration-file.js';

const labels = ['a', 'b', 'c'];

describe('parseAbstentionSpec', () => {
  it('builds threshold rules from their spelling', () => {
    const rule = parseAbstentionSpec('max-probability:0.5', null);
    expect(rule.decide([0.4, 0.3, 0.3], labels).abstain).toBe(true);
    expect(rule.decide([0.6, 0.3, 0.1], labels).abstain).toBe(false);
    expect(parseAbstentionSpec('margin:0.2', null).decide([0.45, 0.4, 0.15], labels).abstain).toBe(true);
    expect(parseAbstentionSpec('entropy:1', null).decide([1 / 3, 1 / 3, 1 / 3], labels).abstain).toBe(true);
  });

  it('uses the calibration certificate for "certified", and refuses it without one', () => {
    const file = { certificate: { rule: 'max-probability', threshold: 0.7, target_risk: 0.2, delta: 0.001, n: 100, risk_bound: 0.19, coverage: 0.5 } } as CalibrationFile;
    expect(parseAbstentionSpec('certified', file).decide([0.65, 0.2, 0.15], labels).abstain).toBe(true);
    expect(() => parseAbstentionSpec('certified', null)).toThrow(GlassboxError);
    expect(() => parseAbstentionSpec('sometimes', null)).toThrow(/certified, max-probability:THRESHOLD, margin:THRESHOLD, entropy:BITS/);
  });
});

describe('lacSet', () => {
  it('keeps labels with 1 - p <= qhat, most probable first', () => {
    expect(lacSet({ a: 0.2, b: 0.7, c: 0.1 }, 0.85)).toEqual(['b', 'a']);
    expect(lacSet({ a: 0.2, b: 0.7, c: 0.1 }, 0.0)).toEqual([]);
  });
});
