import { describe, expect, it } from 'vitest';
import { dequantizePerChannel, float16ToFloat32, INT8_MAX, maxAbsDifference, quantizePerChannel, transpose } from './quantize-math.js';

/** A deterministic [rows, cols] matrix whose columns have very different ranges. */
function matrix(rows: number, cols: number): Float32Array {
  const w = new Float32Array(rows * cols);
  let s = 7;
  for (let i = 0; i < w.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    w[i] = (s / 2 ** 31 - 0.5) * 10 ** ((i % cols) - 2); // column n spans ±0.5e(n-2)
  }
  return w;
}

describe('float16ToFloat32', () => {
  it('decodes normals, subnormals, zeros, infinities and NaN', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00]);
    const f = float16ToFloat32(bits);
    expect(Array.from(f.subarray(0, 2))).toEqual([1, -2]);
    expect(f[2]).toBeCloseTo(1 / 3, 3);
    expect(f[3]).toBe(65504);
    expect(f[4]).toBe(2 ** -24);
    expect(Object.is(f[5], 0) && Object.is(f[6], -0)).toBe(true);
    expect([f[7], f[8]]).toEqual([Infinity, -Infinity]);
    expect(f[9]).toBeNaN();
  });
});

describe('quantizePerChannel', () => {
  const rows = 16;
  const cols = 5;
  const w = matrix(rows, cols);

  it('gives each output channel (column) the scale max|w| / 127, so its largest weight maps to ±127', () => {
    const q = quantizePerChannel(w, rows, cols);
    expect(q.scales).toHaveLength(cols);
    for (let n = 0; n < cols; n++) {
      const column = Array.from({ length: rows }, (_, k) => w[k * cols + n]);
      const max = Math.max(...column.map(Math.abs));
      expect(q.scales[n]).toBe(Math.fround(max / INT8_MAX));
      const qColumn = Array.from({ length: rows }, (_, k) => q.values[k * cols + n]);
      expect(Math.max(...qColumn.map(Math.abs))).toBe(INT8_MAX);
    }
    expect(Math.min(...q.values)).toBeGreaterThanOrEqual(-INT8_MAX);
  });

  it('round-trips every weight within half its channel scale (rounding to nearest), however small the channel', () => {
    const q = quantizePerChannel(w, rows, cols);
    const back = dequantizePerChannel(q);
    for (let i = 0; i < w.length; i++) {
      expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(q.scales[i % cols] / 2 + 1e-12 * Math.abs(w[i]));
    }
    // Per tensor, the tiny columns would round to zero; per channel their relative error stays small.
    const smallest = Array.from({ length: rows }, (_, k) => k * cols);
    const relative = Math.max(...smallest.map((i) => Math.abs(back[i] - w[i]))) / Math.max(...smallest.map((i) => Math.abs(w[i])));
    expect(relative).toBeLessThan(1 / INT8_MAX);
  });

  it('quantizes per row with axis 0 (embedding tables), equal to per column of the transpose', () => {
    const byRow = quantizePerChannel(w, rows, cols, 0);
    const byColumnOfTranspose = quantizePerChannel(transpose(w, rows, cols), cols, rows, 1);
    expect(Array.from(byRow.scales)).toEqual(Array.from(byColumnOfTranspose.scales));
    expect(Array.from(byRow.values)).toEqual(Array.from(transposeInt8(byColumnOfTranspose.values, cols, rows)));
    const back = dequantizePerChannel(byRow);
    for (let i = 0; i < w.length; i++) expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(byRow.scales[Math.floor(i / cols)] / 2 + 1e-9);
  });

  it('keeps a channel of zeros at zero with scale 1 and keeps exact zeros exact', () => {
    const z = Float32Array.from([0, 1, 0, -2, 0, 0.5]); // 3x2: column 0 all zero
    const q = quantizePerChannel(z, 3, 2);
    expect(q.scales[0]).toBe(1);
    expect(Array.from(dequantizePerChannel(q))).toEqual([0, expect.closeTo(1, 1), 0, -2, 0, expect.closeTo(0.5, 1)]);
  });

  it('refuses non-finite weights and a shape that does not match', () => {
    expect(() => quantizePerChannel(Float32Array.from([1, NaN]), 1, 2)).toThrow(/non-finite/);
    expect(() => quantizePerChannel(Float32Array.from([1, 2, 3]), 2, 2)).toThrow(RangeError);
  });
});

describe('transpose and maxAbsDifference', () => {
  it('transposes row-major matrices and measures the largest difference', () => {
    expect(Array.from(transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(maxAbsDifference([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(() => maxAbsDifference([1], [1, 2])).toThrow(RangeError);
  });
});

function transposeInt8(values: Int8Array, rows: number, cols: number): Int8Array {
  const out = new Int8Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}
