import { describe, expect, it } from 'vitest';
import { softmaxRows64 } from './log-softmax.js';
import { nll } from './metrics.js';
import { mulberry32 } from './random.js';
import { sampleLabels } from './test-synthetic.js';
import { fitTemperature } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';
import { applyVectorScaling, fitVectorScaling } from './vector-scaling.js';
import type { VectorScalingParams } from './vector-scaling.js';

function nllOf(logits: ArrayLike<number> & Float64Array, labels: Int32Array, k: number, params: VectorScalingParams): number {
  return nll(applyVectorScaling(logits, params, k), labels, k);
}

/** No single coordinate step of +-h lowers the NLL (a local, hence global, optimum of a convex loss). */
function expectCoordinateOptimum(logits: Float64Array, labels: Int32Array, k: number, params: VectorScalingParams): void {
  const best = nllOf(logits, labels, k, params);
  const h = 1e-4;
  for (const key of ['scale', 'bias'] as const) {
    for (let j = 0; j < k; j++) {
      for (const d of [h, -h]) {
        const moved = { scale: [...params.scale], bias: [...params.bias] };
        moved[key][j] += d;
        expect(nllOf(logits, labels, k, moved)).toBeGreaterThan(best - 1e-12);
      }
    }
  }
}

describe('fitVectorScaling', () => {
  it('undoes a per-class distortion of the logits', () => {
    // Labels from softmax(z); the model reports z_k / w_k - c_k instead.
    const k = 3;
    const n = 4000;
    const rng = mulberry32(9);
    const trueLogits = Float64Array.from({ length: n * k }, () => 4 * rng() - 2);
    const p = softmaxRows64(trueLogits, k);
    const labels = sampleLabels(p, k, rng);
    const w = [2, 0.5, 1];
    const c = [1, -1, 0];
    const reported = trueLogits.map((z, v) => z / w[v % k] - c[v % k]);
    const fit = fitVectorScaling(reported, labels, k);
    expect(fit.converged).toBe(true);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    fit.scale.forEach((s, j) => expect(Math.abs(s / w[j] - 1)).toBeLessThan(0.15));
    expectCoordinateOptimum(reported, labels, k, fit);
  });

  it('rejects bad options', () => {
    expectGlassboxError(() => fitVectorScaling([1, 2], [0], 2, { maxIterations: 0 }), 'INVALID_OPTION', /maxIterations must be an integer >= 1/);
  });
});

describe('applyVectorScaling', () => {
  it('is the plain softmax with scale 1 and bias 0', () => {
    const logits = [1, 2, 3, -1, 0, 4];
    const p = applyVectorScaling(logits, { scale: [1, 1, 1], bias: [0, 0, 0] }, 3);
    const want = softmaxRows64(logits, 3);
    Array.from(p).forEach((v, i) => expect(v).toBeCloseTo(want[i], 14));
  });

  it('requires one scale and one bias per class', () => {
    expectGlassboxError(() => applyVectorScaling([1, 2], { scale: [1], bias: [0, 0] }, 2), 'INVALID_OPTION', /one value per class/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: vector scaling on the calibration rows', () => {
  it('lowers the NLL below the identity and never does worse than temperature scaling', () => {
    const g = loadGolden();
    const k = g.classes;
    const { logits, labels } = g.calibration;
    const fit = fitVectorScaling(logits, labels, k);
    const temperature = fitTemperature(logits, labels, k);
    expect(fit.nllBefore).toBeCloseTo(temperature.nllBefore, 10);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    expect(fit.nllAfter).toBeLessThanOrEqual(temperature.nllAfter + 1e-9);
    expect(nllOf(logits, labels, k, fit)).toBeCloseTo(fit.nllAfter, 10);
    expectCoordinateOptimum(logits, labels, k, fit);
  });
});
