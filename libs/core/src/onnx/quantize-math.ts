/**
 * The arithmetic of dynamic int8 quantization, as pure functions over typed arrays: weights are
 * quantized once, symmetrically, with one scale per output channel (column of a [K, N] MatMul
 * weight), as ONNX Runtime's dynamic quantizer does with `per_channel=True`; activations are
 * quantized at run time by the graph (`DynamicQuantizeMatMul` or `DynamicQuantizeLinear`).
 */

/** Largest int8 magnitude used: symmetric, so -127..127 (never -128) and zero is exactly 0. */
export const INT8_MAX = 127;

export interface PerChannelWeights {
  /** Quantized weights, same [K, N] row-major layout as the input. */
  values: Int8Array;
  /** One scale per channel: per column (axis 1, w[k, n] ≈ values[k, n] * scales[n]) or per row (axis 0). */
  scales: Float32Array;
  axis: 0 | 1;
}

/** IEEE 754 half precision bits to float32 (subnormals, infinities and NaN included). */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 31) out[i] = fraction === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/** Transposes a [rows, cols] row-major matrix into [cols, rows]. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

/**
 * Symmetric per-channel int8 quantization of a [rows, cols] matrix. `axis` 1 (default): one
 * scale per column, the output channels of a [K, N] MatMul weight; `axis` 0: one per row, the
 * tokens of an embedding table. scale = max |w| over the channel / 127, q = round(w / scale)
 * clamped to ±127. A channel of zeros gets scale 1 (dequantizing to zeros, not NaN). Non-finite
 * weights throw.
 */
export function quantizePerChannel(weights: Float32Array, rows: number, cols: number, axis: 0 | 1 = 1): PerChannelWeights {
  if (rows * cols !== weights.length) throw new RangeError(`a ${rows}x${cols} matrix needs ${rows * cols} values, got ${weights.length}`);
  const channel = axis === 1 ? (i: number) => i % cols : (i: number) => Math.floor(i / cols);
  const scales = new Float32Array(axis === 1 ? cols : rows);
  weights.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new RangeError(`weight [${Math.floor(i / cols)}, ${i % cols}] is ${w}; cannot quantize a non-finite weight`);
    const c = channel(i);
    scales[c] = Math.max(scales[c], Math.abs(w));
  });
  scales.forEach((m, c) => (scales[c] = m > 0 ? m / INT8_MAX : 1));
  const values = new Int8Array(weights.length);
  weights.forEach((w, i) => (values[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(w / scales[channel(i)])))));
  return { values, scales, axis };
}

/** values * scales along the channel axis: the weights the quantized graph computes with. */
export function dequantizePerChannel({ values, scales, axis }: PerChannelWeights): Float32Array {
  const cols = axis === 1 ? scales.length : values.length / scales.length;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * scales[axis === 1 ? i % cols : Math.floor(i / cols)];
  return out;
}

/** Largest |a[i] - b[i]|; arrays of different lengths throw. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cannot compare ${a.length} values with ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
