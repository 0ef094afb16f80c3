import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@glassbox/core';
import { stratifiedSplit } from './data-split.js';
import { rowLogits } from './softmax-regression.js';
import { trainHead, type HeadData } from './train-head.js';

/** Three Gaussian clusters in 5 dimensions with an offset and a scale, so standardization matters. */
function clusters(n: number, seed: number): HeadData {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const d = 5;
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const features = new Float32Array(n * d);
  labels.forEach((y, i) => {
    for (let j = 0; j < d; j++) features[i * d + j] = 100 + 10 * ((j === y ? 2 : 0) + gauss());
  });
  const split = stratifiedSplit(labels, { validation: 0.2, seed });
  return { features, d, k: 3, labels, train: split.train, validation: split.validation };
}

describe('trainHead', () => {
  it('separates separable classes, and the folded head scores raw features', () => {
    const data = clusters(600, 1);
    const trained = trainHead(data, { seed: 3, epochs: 30 });
    const z = new Float64Array(3);
    const params = Float64Array.from([...trained.head.weight, ...trained.head.bias]);
    let correct = 0;
    for (const r of data.validation) {
      rowLogits(params, data.features, r, 5, 3, z);
      if (z.indexOf(Math.max(...z)) === data.labels[r]) correct++;
    }
    // two standard deviations apart on their own axis: Bayes accuracy is about 0.84
    expect(correct / data.validation.length).toBeGreaterThan(0.75);
    expect(trained.epochs[trained.bestEpoch - 1].validationAccuracy).toBeCloseTo(correct / data.validation.length, 1);
  });

  it('keeps the epoch with the lowest validation loss and stops after `patience` epochs without one', () => {
    const trained = trainHead(clusters(300, 2), { seed: 1, epochs: 200, patience: 2, learningRate: 0.05 });
    const losses = trained.epochs.map((e) => e.validationLoss);
    expect(trained.stoppedEarly).toBe(true);
    expect(trained.epochs.length).toBeLessThan(200);
    expect(losses[trained.bestEpoch - 1]).toBe(Math.min(...losses));
    expect(trained.epochs.length - trained.bestEpoch).toBe(2);
  });

  it('is reproducible: the same data and seed give the same head; another seed another', () => {
    const data = clusters(300, 3);
    const a = trainHead(data, { seed: 5, epochs: 5 });
    expect(trainHead(data, { seed: 5, epochs: 5 }).head.weight).toEqual(a.head.weight);
    expect(trainHead(data, { seed: 6, epochs: 5 }).head.weight).not.toEqual(a.head.weight);
  });

  it('class weights move the decision toward a rare class', () => {
    const base = clusters(600, 4);
    // keep only 20 training rows of class 2
    let kept = 0;
    const train = base.train.filter((r) => base.labels[r] !== 2 || kept++ < 20);
    const data = { ...base, train };
    const f1OfRare = (weights?: number[]) => {
      const t = trainHead(data, { seed: 1, epochs: 20, ...(weights && { classWeights: weights }) });
      return t.epochs[t.bestEpoch - 1].validationF1[2];
    };
    const counts = [0, 1, 2].map((c) => train.filter((r) => data.labels[r] === c).length);
    const auto = counts.map((c) => train.length / (3 * c));
    expect(f1OfRare(auto)).toBeGreaterThan(f1OfRare());
  });
});
