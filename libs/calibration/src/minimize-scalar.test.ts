import { describe, expect, it } from 'vitest';
import { minimizeScalarBounded } from './minimize-scalar.js';
import { expectGlassboxError } from './test-errors.js';

describe('minimizeScalarBounded', () => {
  it('finds an interior minimum to the requested tolerance', () => {
    const r = minimizeScalarBounded((x) => (x - 1.234) ** 2 + 3, -5, 5);
    expect(Math.abs(r.x - 1.234)).toBeLessThan(1e-7);
    expect(r.fx).toBeCloseTo(3, 12);
  });

  it('finds a non-quadratic minimum (x e^x is minimal at x = -1)', () => {
    expect(minimizeScalarBounded((x) => x * Math.exp(x), -5, 5).x).toBeCloseTo(-1, 7);
  });

  it('approaches the bound when the function is monotone', () => {
    const r = minimizeScalarBounded((x) => x, -5, 5);
    expect(r.x).toBeGreaterThan(-5);
    expect(r.x + 5).toBeLessThan(1e-6);
  });

  it('rejects an empty interval', () => {
    expectGlassboxError(() => minimizeScalarBounded((x) => x, 1, 1), 'INVALID_OPTION', /lo < hi/);
  });
});
