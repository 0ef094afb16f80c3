import { describe, expect, it } from 'vitest';
import { CALIBRATION_METHODS, createCalibrator, fitCalibration } from '../calibration-method.js';
import { BUILTIN_CALIBRATORS, builtinCalibrators } from './builtin-calibrators.js';

const LOGITS = [2, 0, -1, 0.5, 1.5, -0.5, -1, 0, 2, 1, 1, 0];
const LABELS = [0, 1, 2, 0];

describe('calibrators in the registry', () => {
  it('the built-in methods are the registered calibrators, in order', () => {
    expect(CALIBRATION_METHODS).toEqual(['temperature', 'vector', 'platt', 'isotonic']);
    expect(builtinCalibrators().names()).toEqual(BUILTIN_CALIBRATORS.map((p) => p.name));
  });

  it('fits and applies a registered third-party calibrator by name, and reads its fitted form back', () => {
    const registry = builtinCalibrators();
    registry.register({
      kind: 'calibrator',
      name: 'uniform-mix',
      description: 'Mixes the softmax with the uniform distribution by a fitted weight.',
      fit: ({ numLabels }: { numLabels: number }) => ({ weight: 1 / numLabels }),
      apply: (params: { weight: number }, logits: Float32Array, k: number) => {
        const out = new Float32Array(logits.length);
        for (let r = 0; r < logits.length / k; r++) {
          const row = Array.from(logits.subarray(r * k, (r + 1) * k));
          const max = Math.max(...row);
          const e = row.map((z) => Math.exp(z - max));
          const total = e.reduce((a, b) => a + b, 0);
          for (let j = 0; j < k; j++) out[r * k + j] = (1 - params.weight) * (e[j] / total) + params.weight / k;
        }
        return out;
      },
    });
    const fitted = fitCalibration('uniform-mix', LOGITS, LABELS, 3, registry);
    expect(fitted).toEqual({ method: 'uniform-mix', params: { weight: 1 / 3 } });
    const calibrator = createCalibrator(JSON.parse(JSON.stringify(fitted)), 'x', registry);
    expect(calibrator.name).toBe('uniform-mix');
    const p = calibrator.calibrate(Float32Array.from(LOGITS.slice(0, 3)), 3);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Without the plugin registered, the same file is refused with the valid names.
    expect(() => createCalibrator(fitted)).toThrow(/must be one of temperature, vector, platt, isotonic/);
  });
});
