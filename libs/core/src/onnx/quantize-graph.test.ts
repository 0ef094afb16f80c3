import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { GlassboxError } from '../errors.js';
import { decodeModel, proto, tensorFloats } from './onnx-graph.js';
import { createOnnxSession, type Feeds } from './ort.js';
import { QUANTIZATION_METADATA_KEY, QUANTIZE_OPERATORS, quantizeModel } from './quantize-graph.js';
import { INT8_MAX } from './quantize-math.js';
import { attentionOutputs, miniLayers } from '../test-support.js';

const work = mkdtempSync(join(tmpdir(), 'glassbox-quantize-graph-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const MINI = fileURLToPath(new URL('../../../../models/emotion-mini/model.onnx', import.meta.url));

const { FLOAT, FLOAT16, INT64 } = proto.TensorProto.DataType;
let seed = 3;
const random = (n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * 2 * scale;
  });
const floatTensor = (name: string, dims: number[], values: Float32Array): onnx.ITensorProto => ({ name, dataType: FLOAT, dims, rawData: new Uint8Array(values.buffer) });
/** fp16 storage: values rounded to halves (exact for these small dyadic values). */
const halfTensor = (name: string, dims: number[], values: Float32Array): onnx.ITensorProto => ({
  name,
  dataType: FLOAT16,
  dims,
  int32Data: Array.from(values, (v) => toHalfBits(v)),
});
function toHalfBits(v: number): number {
  // values here are multiples of 1/64 in (-4, 4): exactly representable
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}
const value = (name: string, elemType: number, dims: Array<number | string>): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

const W1 = random(4 * 3); // MatMul weight [K=4, N=3]
const W2 = random(3 * 4, 0.01); // Gemm weight, transB: [N=3, K=4], a much smaller range than W1
const C = random(3);
const TABLE = Float32Array.from(random(10 * 4), (v) => Math.round(v * 64) / 64); // embedding table [10, 4] in fp16

/** ids -> Gather(fp16 table via Cast) -> MatMul(W1) -> h; x -> Gemm(W2, transB, C) -> g; h x h^T (two activations) -> a. */
function testModel(opset = 14): Uint8Array {
  return proto.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      input: [value('ids', INT64, ['b', 's']), value('x', FLOAT, ['b', 4])],
      output: [value('h', FLOAT, ['b', 's', 3]), value('g', FLOAT, ['b', 3]), value('a', FLOAT, ['b', 's', 's'])],
      initializer: [halfTensor('table_fp16', [10, 4], TABLE), floatTensor('w1', [4, 3], W1), floatTensor('w2', [3, 4], W2), floatTensor('c', [3], C)],
      node: [
        { name: 'cast_table', opType: 'Cast', input: ['table_fp16'], output: ['table'], attribute: [{ name: 'to', type: proto.AttributeProto.AttributeType.INT, i: FLOAT }] },
        { name: 'embed', opType: 'Gather', input: ['table', 'ids'], output: ['e'] },
        { name: 'mm', opType: 'MatMul', input: ['e', 'w1'], output: ['h'] },
        { name: 'gemm', opType: 'Gemm', input: ['x', 'w2', 'c'], output: ['g'], attribute: [{ name: 'transB', type: proto.AttributeProto.AttributeType.INT, i: 1 }] },
        { name: 'ht', opType: 'Transpose', input: ['h'], output: ['ht'], attribute: [{ name: 'perm', type: proto.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] }] },
        { name: 'hh', opType: 'MatMul', input: ['h', 'ht'], output: ['a'] },
      ],
    },
  }).finish();
}

const B = 2;
const S = 5;
const feeds: Feeds = {
  ids: { data: BigInt64Array.from({ length: B * S }, (_, i) => BigInt((i * 7) % 10)), dims: [B, S] },
  x: { data: random(B * 4, 3), dims: [B, 4] },
};

async function run(bytes: Uint8Array, name: string) {
  const path = join(work, `${name}.onnx`);
  writeFileSync(path, bytes);
  const session = await createOnnxSession(path, { intraOpThreads: 1 });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await session.dispose();
  }
}

/**
 * The worst-case error of y = x W when W is rounded per output channel (|dW[k,n]| <= s_w[n]/2)
 * and x per tensor at run time (uint8 over [min(x,0), max(x,0)]: |dx| <= s_a/2):
 * |dy_n| <= sum_k |x_k| s_w[n]/2 + |W[k,n]| s_a/2 + s_a s_w[n]/4.
 */
function matmulErrorBound(x: Float32Array, k: number, w: Float32Array, n: number): Float32Array {
  const rows = x.length / k;
  const range = Math.max(...x, 0) - Math.min(...x, 0);
  const sa = range / 255;
  const sw = Array.from({ length: n }, (_, j) => Math.max(...Array.from({ length: k }, (_, i) => Math.abs(w[i * n + j]))) / INT8_MAX);
  const bound = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let b = 0;
      for (let i = 0; i < k; i++) b += (Math.abs(x[r * k + i]) * sw[j]) / 2 + (Math.abs(w[i * n + j]) * sa) / 2 + (sa * sw[j]) / 4;
      bound[r * n + j] = b * 1.001 + 1e-6;
    }
  }
  return bound;
}

describe('quantizeModel', () => {
  const fp32 = testModel();

  it.each(QUANTIZE_OPERATORS)('with %s: replaces the constant-weight MatMul, Gemm and Gather and stays within the rounding bound of fp32', async (operator) => {
    const q = quantizeModel(fp32, { operator });
    expect(q.matrices.map((m) => [m.kind, m.node, m.shape])).toEqual([
      ['embedding', 'embed', [10, 4]],
      ['matmul', 'mm', [4, 3]],
      ['matmul', 'gemm', [4, 3]],
    ]);
    expect(q.skipped).toEqual([{ node: 'hh', reason: 'its weight is not a constant float tensor' }]);
    expect(q.parameters).toBe(40 + 12 + 12);
    const [want, got] = [await run(fp32, 'fp32'), await run(q.bytes, operator)];
    expect(Object.keys(got).sort()).toEqual(['a', 'g', 'h']);
    // Gemm: y = x W2^T + C, the weight transposed to [K, N] before quantization.
    const w2t = Float32Array.from({ length: 12 }, (_, i) => W2[(i % 3) * 4 + Math.floor(i / 3)]);
    const gBound = matmulErrorBound(feeds.x.data as Float32Array, 4, w2t, 3);
    got['g'].forEach((v, i) => expect(Math.abs(v - want['g'][i])).toBeLessThanOrEqual(gBound[i]));
    // MatMul after the embedding: its input is the dequantized table, within half a row scale of fp32.
    const rowScale = (id: number) => Math.max(...Array.from(TABLE.subarray(id * 4, id * 4 + 4), Math.abs)) / INT8_MAX;
    const e = Float32Array.from({ length: B * S * 4 }, (_, i) => TABLE[Number((feeds.ids.data as BigInt64Array)[Math.floor(i / 4)]) * 4 + (i % 4)]);
    const hBound = matmulErrorBound(e, 4, W1, 3);
    got['h'].forEach((v, i) => {
      const id = Number((feeds.ids.data as BigInt64Array)[Math.floor(i / 3)]);
      const embeddingError = (rowScale(id) / 2) * [0, 1, 2, 3].reduce((s, k) => s + Math.abs(W1[k * 3 + (i % 3)]), 0);
      expect(Math.abs(v - want['h'][i])).toBeLessThanOrEqual(hBound[i] + embeddingError);
    });
    // The per-channel scales matter: the Gemm's small weights are not rounded away.
    expect(Math.max(...got['g'].map((v, i) => Math.abs(v - want['g'][i] ) / Math.max(...want['g'].map(Math.abs))))).toBeLessThan(0.02);
  });

  it('gives the same outputs with either operator (same arithmetic: uint8 activations, int8 weights, int32 sums)', async () => {
    const [a, b] = [await run(quantizeModel(fp32, { operator: 'dynamic-quantize-matmul' }).bytes, 'dqmm'), await run(quantizeModel(fp32, { operator: 'matmul-integer' }).bytes, 'mmi')];
    for (const name of ['h', 'g', 'a']) a[name].forEach((v, i) => expect(v).toBeCloseTo(b[name][i], 5));
  });

  it('removes the float weights it replaced (fp16 initializer and its Cast included) and marks the graph', () => {
    const q = quantizeModel(fp32);
    const model = decodeModel(q.bytes);
    const graph = model.graph as onnx.IGraphProto;
    const names = (graph.initializer ?? []).map((t) => t.name);
    expect(names).not.toContain('table_fp16');
    expect(names).not.toContain('w1');
    expect(names).toContain('c');
    expect((graph.node ?? []).some((n) => n.name === 'cast_table')).toBe(false);
    const int8 = (graph.initializer ?? []).filter((t) => t.dataType === proto.TensorProto.DataType.INT8);
    expect(int8.map((t) => t.name).sort()).toEqual(['table_fp16_quantized', 'w1_quantized', 'w2_quantized']);
    expect(tensorFloats((graph.initializer ?? []).find((t) => t.name === 'w1_scale') as onnx.ITensorProto)).toHaveLength(3);
    expect(model.opsetImport.some((o) => o.domain === 'com.microsoft')).toBe(true);
    expect(JSON.parse(model.metadataProps.find((m) => m.key === QUANTIZATION_METADATA_KEY)?.value ?? '{}')).toMatchObject({ mode: 'dynamic', matrices: 3 });
  });

  it('keeps embeddings in float with embeddings: false', () => {
    const q = quantizeModel(fp32, { embeddings: false });
    expect(q.matrices.map((m) => m.kind)).toEqual(['matmul', 'matmul']);
    expect((decodeModel(q.bytes).graph?.initializer ?? []).map((t) => t.name)).toContain('table_fp16');
  });

  it('refuses an already quantized graph, opset 10, external data and a graph with nothing to quantize', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof GlassboxError ? e.code : String(e);
      }
      return 'no error';
    };
    for (const operator of QUANTIZE_OPERATORS) expect(code(() => quantizeModel(quantizeModel(fp32, { operator }).bytes))).toBe('MODEL_ALREADY_QUANTIZED');
    expect(code(() => quantizeModel(testModel(10)))).toBe('QUANTIZE_UNSUPPORTED');
    const external = decodeModel(fp32);
    const w1 = external.graph?.initializer?.find((t) => t.name === 'w1') as onnx.ITensorProto;
    w1.dataLocation = proto.TensorProto.DataLocation.EXTERNAL;
    w1.externalData = [{ key: 'location', value: 'weights.bin' }];
    expect(code(() => quantizeModel(proto.ModelProto.encode(external).finish()))).toBe('QUANTIZE_UNSUPPORTED');
    const noWeights = proto.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 14 }],
      graph: { name: 'g', input: [value('x', FLOAT, [2, 2])], output: [value('y', FLOAT, [2, 2])], node: [{ opType: 'MatMul', input: ['x', 'x'], output: ['y'] }] },
    }).finish();
    expect(code(() => quantizeModel(noWeights))).toBe('QUANTIZE_UNSUPPORTED');
    expect(code(() => quantizeModel(Uint8Array.from([1, 2, 3])))).toBe('BUNDLE_FILE_INVALID');
    expect(code(() => quantizeModel(fp32, { operator: 'int4' as never }))).toBe('INVALID_OPTION');
  });

  it('quantizes emotion-mini: every projection, FFN and head weight plus both embedding tables; attention outputs stay', () => {
    const q = quantizeModel(readFileSync(MINI));
    const counts = { matmul: 0, embedding: 0 };
    for (const m of q.matrices) counts[m.kind]++;
    // layers x (query, key, value, out, ff1, ff2) + head dense + head out; word and position embeddings
    expect(counts).toEqual({ matmul: 6 * miniLayers + 2, embedding: 2 });
    // The two activation x activation products of each layer's attention have no weight to quantize.
    expect(q.skipped.map((s) => s.node)).toEqual(
      Array.from({ length: miniLayers }, (_, i) => [`/model/layers.${i}/attn/MatMul`, `/model/layers.${i}/attn/MatMul_1`]).flat(),
    );
    expect((decodeModel(q.bytes).graph?.output ?? []).map((o) => o.name)).toEqual(['logits', ...attentionOutputs(miniLayers)]);
    expect(q.bytes.length).toBeLessThan(0.6 * readFileSync(MINI).length);
  });
});
