import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs.js';

describe('minimizeLbfgs', () => {
  it('minimises an ill-conditioned quadratic', () => {
    const r = minimizeLbfgs(
      (x, g) => {
        g[0] = 2 * (x[0] - 3);
        g[1] = 200 * (x[1] + 1);
        return (x[0] - 3) ** 2 + 100 * (x[1] + 1) ** 2;
      },
      [0, 0],
    );
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(3, 8);
    expect(r.x[1]).toBeCloseTo(-1, 8);
  });

  it('minimises the Rosenbrock function from (-1.2, 1)', () => {
    const r = minimizeLbfgs(
      (x, g) => {
        g[0] = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2);
        g[1] = 200 * (x[1] - x[0] ** 2);
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2;
      },
      [-1.2, 1],
    );
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  it('returns the start when it is already optimal', () => {
    const r = minimizeLbfgs((x, g) => {
      g[0] = 2 * x[0];
      return x[0] * x[0];
    }, [0]);
    expect(r.iterations).toBe(0);
    expect(r.fx).toBe(0);
  });
});
