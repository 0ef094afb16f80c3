import { describe, expect, it } from 'vitest';
import { cbpe } from './cbpe.js';
import { applyTemperature, fitTemperature } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';

describe('cbpe', () => {
  it('is the mean top-class probability', () => {
    expect(cbpe([0.7, 0.2, 0.1, 0.4, 0.4, 0.2], 3)).toBeCloseTo(0.55, 15);
    expectGlassboxError(() => cbpe([], 3), 'INVALID_INPUT', /empty/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: CBPE', () => {
  it('reproduces cbpe_estimated_accuracy_temperature', () => {
    const g = loadGolden();
    const { temperature } = fitTemperature(g.calibration.logits, g.calibration.labels, g.classes);
    const estimate = cbpe(applyTemperature(g.test.logits, temperature, g.classes), g.classes);
    expect(Math.abs(estimate - g.expected.cbpe_estimated_accuracy_temperature)).toBeLessThan(1e-4);
  });
});
