import { describe, expect, it } from 'vitest';
import { predictionSignals, probabilityVector } from './prediction-signals.js';

describe('predictionSignals', () => {
  it('matches hand-worked values', () => {
    const s = predictionSignals([0.5, 0.25, 0.25]);
    expect(s.labelIndex).toBe(0);
    expect(s.confidence).toBe(0.5);
    expect(s.margin).toBe(0.25);
    expect(s.entropy).toBeCloseTo(1.5, 15);
  });

  it('gives log2 k bits and zero margin for a uniform vector', () => {
    const s = predictionSignals(new Float32Array(7).fill(1 / 7));
    expect(s.entropy).toBeCloseTo(Math.log2(7), 6);
    expect(s.margin).toBe(0);
    expect(s.confidence).toBeCloseTo(1 / 7, 6);
  });

  it('gives zero entropy and full margin for a one-hot vector', () => {
    expect(predictionSignals([0, 0, 1, 0])).toEqual({ labelIndex: 2, confidence: 1, margin: 1, entropy: 0 });
  });

  it('finds the runner-up after the winner', () => {
    expect(predictionSignals([0.1, 0.2, 0.7]).margin).toBeCloseTo(0.5, 15);
  });

  it('rejects malformed vectors with INVALID_INPUT', () => {
    for (const bad of [[], [0, 0], [0.5, NaN], [1.2, -0.2]]) {
      expect(() => predictionSignals(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});

describe('probabilityVector', () => {
  const labels = ['a', 'b', 'c'];

  it('reads bare vectors, vector fields and label records in label order', () => {
    expect(Array.from(probabilityVector([0.2, 0.3, 0.5], labels))).toEqual([0.2, 0.3, 0.5]);
    expect(Array.from(probabilityVector({ probabilities: Float32Array.of(1, 0, 0) }, labels))).toEqual([1, 0, 0]);
    expect(Array.from(probabilityVector({ probabilities: { c: 0.5, a: 0.2, b: 0.3 } }, labels))).toEqual([0.2, 0.3, 0.5]);
  });

  it('rejects wrong lengths and missing labels with INVALID_INPUT', () => {
    expect(() => probabilityVector([0.5, 0.5], labels)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => probabilityVector({ probabilities: { a: 1, b: 0 } }, labels)).toThrow(/lack label "c"/);
    expect(() => probabilityVector({} as never, labels)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
