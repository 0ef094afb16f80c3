import { describe, expect, it } from 'vitest';
import { expectGlassboxError } from './test-errors.js';
import { asLabels, asMatrix, checkInteger, checkLabels, checkOpenUnit, checkSameLength, nonEmptyRowCount, rowCount } from './validate.js';

describe('validation helpers', () => {
  it('count whole rows of numClasses columns', () => {
    expect(rowCount(new Float32Array(6), 3)).toBe(2);
    expect(rowCount([], 3)).toBe(0);
    expectGlassboxError(() => nonEmptyRowCount([], 3, 'probs'), 'INVALID_INPUT', /probs is empty/);
    expectGlassboxError(() => rowCount([1, 2, 3], 2, 'logits'), 'INVALID_INPUT', /logits has 3 values/);
    expectGlassboxError(() => rowCount([1, 2], 1.5), 'INVALID_OPTION', /numClasses must be an integer >= 2 \(got 1.5\)/);
    expectGlassboxError(() => rowCount([1, Infinity], 2), 'INVALID_INPUT', /\[1\] is Infinity/);
  });

  it('check labels, integers, open-unit numbers and lengths', () => {
    expect(() => checkLabels(new Int32Array([0, 2]), 2, 3)).not.toThrow();
    expectGlassboxError(() => checkLabels([0, 1.5], 2, 3), 'INVALID_INPUT', /labels\[1\] is 1.5; labels must be integers in 0\.\.2/);
    expectGlassboxError(() => checkInteger(3, 'bins', 1, 2), 'INVALID_OPTION', /bins must be an integer in 1\.\.2 \(got 3\)/);
    expectGlassboxError(() => checkOpenUnit(Number.NaN, 'alpha'), 'INVALID_OPTION', /alpha must be a number strictly between 0 and 1/);
    expectGlassboxError(() => checkSameLength([], [], 'a', 'b'), 'INVALID_INPUT', /a is empty/);
  });

  it('view array-likes as matrices and labels without converting values', () => {
    const f32 = new Float32Array([1, 2]);
    expect(asMatrix(f32)).toBe(f32);
    expect(asMatrix({ length: 2, 0: 0.5, 1: 1.5 })).toEqual([0.5, 1.5]);
    const y = new Int32Array([1]);
    expect(asLabels(y)).toBe(y);
    // A float label array is copied as is (1.5 stays 1.5) so checkLabels can reject it.
    expect(Array.from(asLabels(new Float64Array([1.5])))).toEqual([1.5]);
  });
});
