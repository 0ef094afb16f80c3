import { describe, expect, it } from 'vitest';
import { binomialCdf, binomialUpperBound, logChoose, logGamma } from './binomial.js';
import { expectGlassboxError } from './test-errors.js';

describe('logGamma', () => {
  it('matches ln((n-1)!) and ln Gamma(1/2) = ln sqrt(pi)', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 300; n++) {
      expect(Math.abs(logGamma(n) - logFactorial)).toBeLessThan(1e-12 * Math.max(1, logFactorial));
      logFactorial += Math.log(n);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 12);
  });

  it('gives ln C(n, k)', () => {
    expect(Math.exp(logChoose(10, 3))).toBeCloseTo(120, 9);
  });
});

describe('binomialCdf', () => {
  it('matches hand-computed values', () => {
    expect(binomialCdf(1, 3, 0.5)).toBeCloseTo(0.5, 14); // (1 + 3) / 8
    // 0.7^10 + 10 * 0.3 * 0.7^9 + 45 * 0.09 * 0.7^8
    expect(binomialCdf(2, 10, 0.3)).toBeCloseTo(0.7 ** 10 + 3 * 0.7 ** 9 + 4.05 * 0.7 ** 8, 13);
  });

  it('sums to 1 and matches a direct pmf recurrence at n = 2000', () => {
    const n = 2000;
    const p = 0.06;
    let pmf = (1 - p) ** n;
    let cdf = pmf;
    for (let k = 0; k < 200; k++) {
      if (k % 37 === 0) expect(Math.abs(binomialCdf(k, n, p) - cdf)).toBeLessThan(1e-12);
      pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
      cdf += pmf;
    }
    expect(Math.abs(binomialCdf(n - 1, n, p) - 1)).toBeLessThan(1e-11);
  });

  it('stays accurate in far tails where terms underflow one by one', () => {
    // P(X <= 0) = (1 - p)^n = 0.5^1200 ~ 5.8e-362 underflows; P(X <= 1000; 1000, .) = 1
    expect(binomialCdf(0, 1200, 0.5)).toBe(0);
    expect(binomialCdf(10, 1000, 0.5)).toBeGreaterThan(0);
    // ln C(1000, 10) summed directly; the terms i < 10 relative to i = 10 by their ratios
    let logC10 = 0;
    for (let j = 0; j < 10; j++) logC10 += Math.log(1000 - j) - Math.log(10 - j);
    let relative = 1;
    let ratio = 1;
    for (let i = 10; i > 0; i--) {
      ratio *= i / (1001 - i);
      relative += ratio;
    }
    expect(Math.log(binomialCdf(10, 1000, 0.5))).toBeCloseTo(logC10 - 1000 * Math.LN2 + Math.log(relative), 9);
  });

  it('handles the edges exactly', () => {
    expect(binomialCdf(-1, 5, 0.3)).toBe(0);
    expect(binomialCdf(5, 5, 0.3)).toBe(1);
    expect(binomialCdf(2, 5, 0)).toBe(1);
    expect(binomialCdf(2, 5, 1)).toBe(0);
    expectGlassboxError(() => binomialCdf(1, 5, 1.5), 'INVALID_INPUT', /p must be a probability in \[0, 1\]/);
  });
});

describe('binomialUpperBound', () => {
  it('solves (1 - b)^n = level in closed form for zero errors', () => {
    for (const n of [10, 100, 2000]) {
      expect(binomialUpperBound(0, n, 0.01)).toBeCloseTo(1 - 0.01 ** (1 / n), 12);
    }
  });

  it('is the smallest b whose CDF is at most the level', () => {
    const b = binomialUpperBound(12, 200, 0.001);
    expect(binomialCdf(12, 200, b)).toBeLessThanOrEqual(0.001);
    expect(binomialCdf(12, 200, b - 1e-9)).toBeGreaterThan(0.001);
    expect(binomialUpperBound(5, 5, 0.01)).toBe(1);
  });
});
