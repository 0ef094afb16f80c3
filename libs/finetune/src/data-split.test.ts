import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { stratifiedSplit } from './data-split.js';

const labels = [...Array(100).keys()].map((i) => (i < 80 ? 0 : i < 95 ? 1 : 2));

describe('stratifiedSplit', () => {
  it('partitions the rows, stratified by label', () => {
    const s = stratifiedSplit(labels, { validation: 0.2, test: 0.1, seed: 7 });
    const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual([...Array(100).keys()]);
    const count = (rows: number[], c: number) => rows.filter((r) => labels[r] === c).length;
    expect([count(s.validation, 0), count(s.validation, 1), count(s.validation, 2)]).toEqual([16, 3, 1]);
    expect([count(s.test, 0), count(s.test, 1), count(s.test, 2)]).toEqual([8, 2, 1]);
    expect(count(s.train, 2)).toBe(3);
  });

  it('is reproducible by seed and differs across seeds', () => {
    const a = stratifiedSplit(labels, { validation: 0.2, seed: 1 });
    expect(stratifiedSplit(labels, { validation: 0.2, seed: 1 })).toEqual(a);
    expect(stratifiedSplit(labels, { validation: 0.2, seed: 2 }).validation).not.toEqual(a.validation);
    expect(a.test).toEqual([]);
  });

  it('keeps a row of a 2-row class in training and one in validation', () => {
    const s = stratifiedSplit([0, 0, 0, 0, 0, 1, 1], { validation: 0.1, seed: 0 });
    expect(s.validation.filter((r) => r >= 5)).toHaveLength(1);
    expect(s.train.filter((r) => r >= 5)).toHaveLength(1);
  });

  it('refuses shares outside their ranges', () => {
    expect(() => stratifiedSplit(labels, { validation: 0, seed: 0 })).toThrow(GlassboxError);
    expect(() => stratifiedSplit(labels, { validation: 0.6, test: 0.4, seed: 0 })).toThrow(/sum below 1/);
  });
});
