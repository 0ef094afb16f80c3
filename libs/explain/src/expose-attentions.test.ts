import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInferenceEngine,
  createOnnxSession,
  GlassboxError,
  padBatch,
  type ForwardResult,
  type InferenceEngine,
} from '@glassbox/core';
import type { onnx } from 'onnx-proto';
import { exposeAttentions, exposeAttentionsInModel } from './expose-attentions.js';
import { decodeModel, onnxProto as proto, toNumber } from '@glassbox/core';

const modelsDir = fileURLToPath(new URL('../../../models/emotion-mini/', import.meta.url));
const withAttentionsDir = modelsDir;
const noAttentionsDir = join(modelsDir, 'no-attentions');
const LAYERS: number = JSON.parse(readFileSync(join(modelsDir, 'config.json'), 'utf8')).num_hidden_layers;
const OUTPUTS = Array.from({ length: LAYERS }, (_, i) => `attentions.${i}`);

const texts = [
  "I can't believe you did this to me",
  'What a wonderful surprise, thank you so much!',
  'ok',
  'This is disgusting and I am furious about it, honestly the worst service I have ever had.',
];

function errorOf(fn: () => unknown): GlassboxError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GlassboxError) return e;
    throw e;
  }
  throw new Error('expected a GlassboxError, got none');
}

async function asyncErrorOf(p: Promise<unknown>): Promise<GlassboxError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GlassboxError) return e;
    throw e;
  }
  throw new Error('expected a GlassboxError, got none');
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

// --- tiny graphs built with onnx-proto ------------------------------------------------------

const HIDDEN = 8;
const TINY_HEADS = 2;

function floatTensor(name: string, dims: number[], seed: number): onnx.ITensorProto {
  const values = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed * 31 + i * 0.7) * 0.5);
  return { name, dims, dataType: proto.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer) };
}

function intTensor(name: string, values: number[]): onnx.ITensorProto {
  return { name, dims: [values.length], dataType: proto.TensorProto.DataType.INT64, int64Data: values };
}

function node(opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = [], domain?: string): onnx.INodeProto {
  return { opType, input, output, name: output[0], attribute, ...(domain ? { domain } : {}) };
}

const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: proto.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, value: number): onnx.IAttributeProto => ({ name, type: proto.AttributeProto.AttributeType.INT, i: value });

/** x [B, S, 8] -> one 2-head self-attention block -> mean -> 3 class probabilities (a classifier Softmax). */
function tinyAttentionModel(opts: { externalWeights?: string } = {}): Uint8Array {
  const wq = floatTensor('wq', [HIDDEN, HIDDEN], 1);
  if (opts.externalWeights) {
    delete wq.rawData;
    wq.dataLocation = proto.TensorProto.DataLocation.EXTERNAL;
    wq.externalData = [
      { key: 'location', value: opts.externalWeights },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(HIDDEN * HIDDEN * 4) },
    ];
  }
  const graph: onnx.IGraphProto = {
    name: 'tiny',
    input: [
      { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: HIDDEN }] } } } },
    ],
    output: [{ name: 'probs', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch_size' }, { dimValue: 3 }] } } } }],
    initializer: [
      wq,
      floatTensor('wk', [HIDDEN, HIDDEN], 2),
      floatTensor('wv', [HIDDEN, HIDDEN], 3),
      floatTensor('wc', [HIDDEN / TINY_HEADS, 3], 4),
      intTensor('heads_shape', [0, 0, TINY_HEADS, HIDDEN / TINY_HEADS]),
      { name: 'scale', dims: [], dataType: 1, floatData: [Math.sqrt(HIDDEN / TINY_HEADS)] },
    ],
    node: [
      node('MatMul', ['x', 'wq'], ['q']),
      node('Reshape', ['q', 'heads_shape'], ['q4']),
      node('Transpose', ['q4'], ['qt'], [ints('perm', [0, 2, 1, 3])]),
      node('MatMul', ['x', 'wk'], ['k']),
      node('Reshape', ['k', 'heads_shape'], ['k4']),
      node('Transpose', ['k4'], ['kt'], [ints('perm', [0, 2, 3, 1])]),
      node('MatMul', ['x', 'wv'], ['v']),
      node('Reshape', ['v', 'heads_shape'], ['v4']),
      node('Transpose', ['v4'], ['vt'], [ints('perm', [0, 2, 1, 3])]),
      node('MatMul', ['qt', 'kt'], ['scores']),
      node('Div', ['scores', 'scale'], ['scaled']),
      node('Softmax', ['scaled'], ['attn_probs'], [int('axis', -1)]),
      node('MatMul', ['attn_probs', 'vt'], ['context']),
      node('ReduceMean', ['context'], ['pooled'], [ints('axes', [1, 2]), int('keepdims', 0)]),
      node('MatMul', ['pooled', 'wc'], ['class_logits']),
      node('Softmax', ['class_logits'], ['probs'], [int('axis', -1)]),
    ],
  };
  return proto.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 14 }], producerName: 'glassbox-test', graph }).finish();
}

/** Attention fused into com.microsoft Attention, as onnxruntime's transformer optimiser leaves it. */
function fusedAttentionModel(): Uint8Array {
  const graph: onnx.IGraphProto = {
    name: 'fused',
    input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }, { name: 'mask', type: { tensorType: { elemType: 6 } } }],
    output: [{ name: 'probs', type: { tensorType: { elemType: 1 } } }],
    initializer: [floatTensor('qkv_weight', [HIDDEN, 3 * HIDDEN], 1), floatTensor('qkv_bias', [3 * HIDDEN], 2)],
    node: [
      { ...node('Attention', ['x', 'qkv_weight', 'qkv_bias', 'mask'], ['context'], [int('num_heads', TINY_HEADS)], 'com.microsoft'), name: 'Attention_0' },
      node('ReduceMean', ['context'], ['pooled'], [ints('axes', [1]), int('keepdims', 0)]),
      node('Softmax', ['pooled'], ['probs'], [int('axis', -1)]),
    ],
  };
  return proto.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 14 }, { domain: 'com.microsoft', version: 1 }],
    graph,
  }).finish();
}

/** x [B, S, 8] -> mean over S -> 3 class probabilities: a Softmax, but no attention. */
function classifierOnlyModel(): Uint8Array {
  const graph: onnx.IGraphProto = {
    name: 'classifier',
    input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
    output: [{ name: 'probs', type: { tensorType: { elemType: 1 } } }],
    initializer: [floatTensor('wc', [HIDDEN, 3], 4)],
    node: [
      node('ReduceMean', ['x'], ['pooled'], [ints('axes', [1]), int('keepdims', 0)]),
      node('MatMul', ['pooled', 'wc'], ['class_logits']),
      node('Softmax', ['class_logits'], ['probs'], [int('axis', -1)]),
    ],
  };
  return proto.ModelProto.encode({ irVersion: 7, opsetImport: [{ domain: '', version: 14 }], graph }).finish();
}

// --- the embedded model: exposed attentions match the model exported with them ---------------

describe('exposeAttentions on the embedded model exported without attentions', () => {
  let dir: string;
  let exposed: InferenceEngine;
  let reference: InferenceEngine;
  let result: Awaited<ReturnType<typeof exposeAttentions>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-expose-'));
    result = await exposeAttentions(join(noAttentionsDir, 'model.onnx'), join(dir, 'model.onnx'), { numLayers: LAYERS, numHeads: 4 });
    await copyFile(join(noAttentionsDir, 'config.json'), join(dir, 'config.json'));
    await copyFile(join(noAttentionsDir, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    exposed = await createInferenceEngine(dir, { intraOpThreads: 1 });
    reference = await createInferenceEngine(withAttentionsDir, { intraOpThreads: 1 });
  });
  afterAll(async () => {
    await exposed?.dispose();
    await reference?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports one output per layer and the heads', () => {
    expect(result).toEqual({ outputs: OUTPUTS, layers: LAYERS, heads: 4 });
  });

  it('gives an engine with the attentions capability', () => {
    expect(exposed.capabilities.attentions).toBe(true);
  });

  it('leaves only the model and the copied files in the directory (no temp file)', async () => {
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.onnx', 'tokenizer.json']);
  });

  it('returns the same attentions and logits as the model exported with them, padded batches included', async () => {
    const encodings = await exposed.encode(texts);
    const batches = [padBatch(encodings.map((e) => e.ids), exposed.tokenizer.padId), padBatch([encodings[2].ids], exposed.tokenizer.padId)];
    expect(batches[0].attentionMask.includes(0n)).toBe(true);
    for (const batch of batches) {
      const got: ForwardResult = await exposed.forward(batch, { attentions: true });
      const want: ForwardResult = await reference.forward(batch, { attentions: true });
      expect(got.numHeads).toBe(4);
      expect(maxAbsDiff(got.logits, want.logits)).toBeLessThan(1e-5);
      expect(got.attentions).toHaveLength(LAYERS);
      for (let layer = 0; layer < LAYERS; layer++) {
        const a = (got.attentions as Float32Array[])[layer];
        expect(a.length).toBe(batch.batchSize * 4 * batch.seqLen * batch.seqLen);
        expect(maxAbsDiff(a, (want.attentions as Float32Array[])[layer])).toBeLessThan(1e-5);
      }
    }
  });

  it('only appends: nodes, initializers and earlier outputs are those of the original', async () => {
    const original = decodeModel(await readFile(join(noAttentionsDir, 'model.onnx')));
    const rewritten = decodeModel(await readFile(join(dir, 'model.onnx')));
    const [g0, g1] = [original.graph as onnx.IGraphProto, rewritten.graph as onnx.IGraphProto];
    expect(g1.node?.slice(0, g0.node?.length).map((n) => proto.NodeProto.toObject(n as onnx.NodeProto))).toEqual(
      g0.node?.map((n) => proto.NodeProto.toObject(n as onnx.NodeProto)),
    );
    expect(g1.initializer?.map((t) => [t.name, t.dataType, Buffer.from(t.rawData ?? []).toString('base64')])).toEqual(
      g0.initializer?.map((t) => [t.name, t.dataType, Buffer.from(t.rawData ?? []).toString('base64')]),
    );
    expect(g1.node?.slice(g0.node?.length).map((n) => [n.opType, n.input?.[0], n.output?.[0]])).toEqual(
      OUTPUTS.map((name, i) => ['Identity', `/model/layers.${i}/attn/Softmax_output_0`, name]),
    );
    expect(g1.output?.map((o) => o.name)).toEqual(['logits', ...OUTPUTS]);
    const dims = g1.output?.[1].type?.tensorType?.shape?.dim?.map((d) => d.dimParam || toNumber(d.dimValue));
    expect(dims).toEqual(['batch_size', 4, 'sequence_length', 'sequence_length']);
    expect(g1.output?.[1].type?.tensorType?.elemType).toBe(proto.TensorProto.DataType.FLOAT);
  });

  it('is idempotent: a model with attention outputs comes back unchanged', async () => {
    const bytes = await readFile(join(withAttentionsDir, 'model.onnx'));
    const again = exposeAttentionsInModel(bytes, { numLayers: LAYERS, numHeads: 4 });
    expect(again.bytes).toBe(bytes);
    expect(again.result).toEqual({ outputs: OUTPUTS, layers: LAYERS, heads: 4 });
    const exposedBytes = await readFile(join(dir, 'model.onnx'));
    expect(exposeAttentionsInModel(exposedBytes).bytes).toBe(exposedBytes);
  });

  it('refuses a layer count that differs from config.json', async () => {
    const bytes = await readFile(join(noAttentionsDir, 'model.onnx'));
    const e = errorOf(() => exposeAttentionsInModel(bytes, { numLayers: LAYERS + 1 }));
    expect(e.code).toBe('MODEL_IO_MISMATCH');
    expect(e.message).toMatch(new RegExp(`${LAYERS + 1} layers.*${LAYERS} attention layer`));
    expect(errorOf(() => exposeAttentionsInModel(bytes, { numHeads: 12 })).code).toBe('MODEL_IO_MISMATCH');
    const already = await readFile(join(withAttentionsDir, 'model.onnx'));
    expect(errorOf(() => exposeAttentionsInModel(already, { numLayers: 6 })).code).toBe('MODEL_IO_MISMATCH');
  });
});

// --- recognition and refusals on tiny graphs -------------------------------------------------

describe('exposeAttentionsInModel on tiny graphs', () => {
  it('picks the attention Softmax, not the classifier one, and reads the heads from the Reshape', async () => {
    const { bytes, result } = exposeAttentionsInModel(tinyAttentionModel());
    expect(result).toEqual({ outputs: ['attentions.0'], layers: 1, heads: TINY_HEADS });
    const graph = decodeModel(bytes).graph as onnx.IGraphProto;
    expect(graph.node?.at(-1)).toMatchObject({ opType: 'Identity', input: ['attn_probs'], output: ['attentions.0'] });

    const dir = await mkdtemp(join(tmpdir(), 'glassbox-expose-tiny-'));
    try {
      await writeFile(join(dir, 'tiny.onnx'), bytes);
      const session = await createOnnxSession(join(dir, 'tiny.onnx'), { intraOpThreads: 1 });
      try {
        const [batch, seq] = [2, 3];
        const x = Float32Array.from({ length: batch * seq * HIDDEN }, (_, i) => Math.cos(i));
        const out = await session.run({ x: { data: x, dims: [batch, seq, HIDDEN] } });
        expect(out['attentions.0'].dims).toEqual([batch, TINY_HEADS, seq, seq]);
        const a = out['attentions.0'].data as Float32Array;
        for (let row = 0; row < batch * TINY_HEADS * seq; row++) {
          const sum = a.subarray(row * seq, (row + 1) * seq).reduce((s, v) => s + v, 0);
          expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        }
        expect(out['probs'].dims).toEqual([batch, 3]);
      } finally {
        await session.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('casts half-precision attention probabilities to float on the way out', () => {
    const decoded = decodeModel(tinyAttentionModel());
    const graph = decoded.graph as onnx.GraphProto;
    for (const n of graph.node) n.input = (n.input ?? []).map((i) => (i === 'x' ? 'x16' : i));
    graph.node.unshift(proto.NodeProto.create(node('Cast', ['x'], ['x16'], [int('to', proto.TensorProto.DataType.FLOAT16)])));
    const { bytes, result } = exposeAttentionsInModel(proto.ModelProto.encode(decoded).finish());
    expect(result.outputs).toEqual(['attentions.0']);
    const added = (decodeModel(bytes).graph as onnx.IGraphProto).node?.at(-1) as onnx.INodeProto;
    expect(added).toMatchObject({ opType: 'Cast', input: ['attn_probs'], output: ['attentions.0'] });
    expect(toNumber(added.attribute?.[0].i)).toBe(proto.TensorProto.DataType.FLOAT);
  });

  it('refuses attention fused into a com.microsoft Attention operator, naming it', () => {
    const e = errorOf(() => exposeAttentionsInModel(fusedAttentionModel()));
    expect(e.code).toBe('MODEL_IO_MISMATCH');
    expect(e.message).toContain('Attention (com.microsoft) Attention_0');
    expect(e.message).toMatch(/re-export/);
  });

  it('refuses a graph whose only Softmax is the classifier', () => {
    const e = errorOf(() => exposeAttentionsInModel(classifierOnlyModel()));
    expect(e.code).toBe('MODEL_IO_MISMATCH');
    expect(e.message).toMatch(/no attention Softmax.*1 Softmax node\(s\) \(probs\)/);
  });

  it('refuses bytes that are not an ONNX model', async () => {
    expect(errorOf(() => exposeAttentionsInModel(new TextEncoder().encode('this is not an ONNX model'))).code).toBe('BUNDLE_FILE_INVALID');
    expect(errorOf(() => exposeAttentionsInModel(new Uint8Array(0))).code).toBe('BUNDLE_FILE_INVALID');
    const e = await asyncErrorOf(exposeAttentions(join(noAttentionsDir, 'config.json'), join(tmpdir(), 'never-written.onnx')));
    expect(e.code).toBe('BUNDLE_FILE_INVALID');
    expect(e.message).toContain('config.json');
  });

  it('reports unreadable input and unwritable output with their codes', async () => {
    const missing = await asyncErrorOf(exposeAttentions(join(tmpdir(), 'no-such-dir-glassbox', 'model.onnx'), join(tmpdir(), 'x.onnx')));
    expect(missing.code).toBe('INPUT_FILE_UNREADABLE');
    const unwritable = await asyncErrorOf(
      exposeAttentions(join(noAttentionsDir, 'model.onnx'), join(tmpdir(), 'no-such-dir-glassbox', 'model.onnx')),
    );
    expect(unwritable.code).toBe('OUTPUT_FILE');
  });

  it('keeps external data reachable only when the output sits beside the original', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'glassbox-expose-ext-'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'glassbox-expose-ext-out-'));
    try {
      const wq = floatTensor('wq', [HIDDEN, HIDDEN], 1);
      await writeFile(join(dir, 'tiny.onnx_data'), wq.rawData as Uint8Array);
      await writeFile(join(dir, 'tiny.onnx'), tinyAttentionModel({ externalWeights: 'tiny.onnx_data' }));

      expect(errorOf(() => exposeAttentionsInModel(tinyAttentionModel({ externalWeights: 'tiny.onnx_data' }))).code).toBe('INVALID_OPTION');
      const refused = await asyncErrorOf(exposeAttentions(join(dir, 'tiny.onnx'), join(elsewhere, 'tiny.onnx')));
      expect(refused.code).toBe('INVALID_OPTION');
      expect(refused.message).toContain('tiny.onnx_data');
      expect(await readdir(elsewhere)).toEqual([]);

      const result = await exposeAttentions(join(dir, 'tiny.onnx'), join(dir, 'tiny-attn.onnx'));
      expect(result.outputs).toEqual(['attentions.0']);
      const session = await createOnnxSession(join(dir, 'tiny-attn.onnx'), { intraOpThreads: 1 });
      try {
        const out = await session.run({ x: { data: new Float32Array(2 * HIDDEN).fill(0.5), dims: [1, 2, HIDDEN] } }, ['attentions.0']);
        expect(out['attentions.0'].dims).toEqual([1, TINY_HEADS, 2, 2]);
      } finally {
        await session.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
