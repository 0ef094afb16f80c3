import { describe, expect, it } from 'vitest';

import { chiSquareQuantile, chiSquareSurvival, logGamma, regularizedGammaQ } from './chi-square.js';

// Golden values from scipy 1.17 (scipy.stats.chi2, scipy.special.gammaincc).
describe('chiSquareSurvival', () => {
  it.each([
    [3.84, 1, 0.05004352124870519],
    [10, 6, 0.12465201948308108],
    [0.5, 3, 0.9188914116546758],
    [30, 30, 0.4656537089440098],
    [1e-3, 1, 0.9747728793699604],
    [100, 50, 3.454931382984871e-5],
  ])('sf(%d, %d) = %d', (x, df, expected) => {
    expect(chiSquareSurvival(x, df)).toBeCloseTo(expected, 12);
    expect(Math.abs(chiSquareSurvival(x, df) / expected - 1)).toBeLessThan(1e-9);
  });

  it('keeps relative accuracy deep in the tail (log space)', () => {
    expect(Math.abs(chiSquareSurvival(200, 10) / 1.6139305336977317e-37 - 1)).toBeLessThan(1e-9);
  });

  it('is 1 at x <= 0 and rejects a bad df', () => {
    expect(chiSquareSurvival(0, 4)).toBe(1);
    expect(chiSquareSurvival(-1, 4)).toBe(1);
    expect(() => chiSquareSurvival(1, 0)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('regularizedGammaQ', () => {
  it.each([
    [0.5, 2, 0.04550026389635857],
    [10, 3, 0.9988975118698845],
    [3, 10, 0.0027693957155115775],
    [100, 120, 0.027863739890520652],
  ])('Q(%d, %d) = %d', (a, x, expected) => {
    expect(Math.abs(regularizedGammaQ(a, x) / expected - 1)).toBeLessThan(1e-9);
  });

  it('rejects negative x with INVALID_INPUT', () => {
    expect(() => regularizedGammaQ(1, -1)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('logGamma', () => {
  it('matches factorials and Γ(1/2) = sqrt(π)', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });
});

describe('chiSquareQuantile', () => {
  it.each([
    [0.95, 1, 3.841458820694124],
    [0.99, 10, 23.209251158954356],
    [0.999, 6, 22.457744484825323],
    [0.999, 10, 29.58829844507442],
  ])('ppf(%d, %d) = %d', (p, df, expected) => {
    expect(chiSquareQuantile(p, df)).toBeCloseTo(expected, 8);
  });

  it('inverts the survival function', () => {
    const x = chiSquareQuantile(0.999, 11);
    expect(chiSquareSurvival(x, 11)).toBeCloseTo(0.001, 12);
  });

  it('rejects p outside (0, 1)', () => {
    expect(() => chiSquareQuantile(1, 3)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => chiSquareQuantile(0, 3)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
