import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@glassbox/core';
import { adamStep, createAdamState, fitStandardizer, foldStandardizer, headLoss, rowLogits, standardize, type HeadProblem } from './softmax-regression.js';

function randomProblem(n: number, d: number, k: number, seed: number, l2 = 0.01): HeadProblem {
  const rng = mulberry32(seed);
  return {
    features: Float32Array.from({ length: n * d }, () => rng() * 4 - 2),
    d,
    k,
    labels: Array.from({ length: n }, () => Math.floor(rng() * k)),
    classWeights: Float64Array.from({ length: k }, (_, c) => 0.5 + c),
    l2,
  };
}

describe('headLoss', () => {
  it('is log k at zero parameters (uniform probabilities), whatever the class weights', () => {
    const p = randomProblem(20, 3, 4, 1);
    expect(headLoss(new Float64Array(4 * 3 + 4), p, [...Array(20).keys()])).toBeCloseTo(Math.log(4), 12);
  });

  it('has the gradient of finite differences (weighted loss + L2)', () => {
    const p = randomProblem(15, 4, 3, 2);
    const rows = [...Array(15).keys()];
    const rng = mulberry32(3);
    const params = Float64Array.from({ length: 3 * 4 + 3 }, () => rng() - 0.5);
    const grad = new Float64Array(params.length);
    headLoss(params, p, rows, grad);
    const h = 1e-6;
    for (let i = 0; i < params.length; i++) {
      const up = params.slice();
      const down = params.slice();
      up[i] += h;
      down[i] -= h;
      expect(grad[i]).toBeCloseTo((headLoss(up, p, rows) - headLoss(down, p, rows)) / (2 * h), 6);
    }
  });

  it('weights rows by their class: the loss is the weighted mean of the per-row losses', () => {
    const p: HeadProblem = { features: Float32Array.from([1, -1]), d: 1, k: 2, labels: [0, 1], classWeights: [3, 1], l2: 0 };
    const params = Float64Array.from([1, 0, 0, 0]); // logits: row 0 -> (1, 0), row 1 -> (-1, 0)
    const nll0 = Math.log(1 + Math.exp(-1)); // -log p(class 0 | z = (1, 0))
    const nll1 = Math.log(1 + Math.exp(-1)); // -log p(class 1 | z = (-1, 0))
    expect(headLoss(params, p, [0, 1])).toBeCloseTo((3 * nll0 + 1 * nll1) / 4, 12);
    // a class weighted 0 does not count at all
    expect(headLoss(params, { ...p, classWeights: [0, 1] }, [0, 1])).toBeCloseTo(nll1, 12);
  });
});

describe('adamStep', () => {
  it('moves each parameter by about the learning rate against its gradient on the first step', () => {
    const params = Float64Array.from([1, -1, 0]);
    adamStep(params, Float64Array.from([2, -0.5, 0]), createAdamState(3), 0.1);
    expect(params[0]).toBeCloseTo(0.9, 6);
    expect(params[1]).toBeCloseTo(-0.9, 6);
    expect(params[2]).toBe(0);
  });
});

describe('standardizer folding', () => {
  it('gives the same logits on raw features as the head on standardized ones', () => {
    const p = randomProblem(10, 3, 2, 4);
    const rows = [...Array(10).keys()];
    const s = fitStandardizer(p.features, 3, rows);
    const z = standardize(p.features, 3, s);
    const params = Float64Array.from([0.5, -1, 2, 0.3, 0.1, -0.2, 0.7, -0.4]);
    const { weight, bias } = foldStandardizer(params, s, 3, 2);
    const folded = Float64Array.from([...weight, ...bias]);
    const a = new Float64Array(2);
    const b = new Float64Array(2);
    for (const r of rows) {
      rowLogits(params, z, r, 3, 2, a);
      rowLogits(folded, p.features, r, 3, 2, b);
      expect(b[0]).toBeCloseTo(a[0], 4);
      expect(b[1]).toBeCloseTo(a[1], 4);
    }
  });
});
