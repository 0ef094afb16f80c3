import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxSession, decodeModel, FEATURES_OUTPUT, mulberry32, toNumber, type TensorData } from '@glassbox/core';
import { replaceHead } from './head-graph.js';
import { exposeHiddenStateInModel } from './hidden-state.js';

const mini = fileURLToPath(new URL('../../../models/emotion-mini/model.onnx', import.meta.url));
const layers: number = JSON.parse(readFileSync(new URL('../../../models/emotion-mini/config.json', import.meta.url), 'utf8')).num_hidden_layers;
const attentions = Array.from({ length: layers }, (_, i) => `attentions.${i}`);
const lastAttention = attentions[layers - 1];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glassbox-head-graph-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tinyRoberta = fileURLToPath(new URL('../fixtures/tiny-roberta-classifier.onnx', import.meta.url));

async function run(bytes: Uint8Array, name: string, fetch: string[]): Promise<Record<string, TensorData>> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const session = await createOnnxSession(path, { intraOpThreads: 1 });
  try {
    // <s> w w w </s> and a shorter padded row (ids below 64 fit both models' vocabularies)
    const ids = BigInt64Array.from([0n, 30n, 31n, 32n, 2n, 0n, 40n, 2n, 1n, 1n]);
    const mask = BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n]);
    return await session.run({ input_ids: { data: ids, dims: [2, 5] }, attention_mask: { data: mask, dims: [2, 5] } }, fetch);
  } finally {
    await session.dispose();
  }
}

/** logits[r][c] = b[c] + sum_j W[c][j] x features[r][j] */
function expectLinear(logits: Float32Array, features: Float32Array, weight: Float32Array, bias: Float32Array, d: number, rows: number) {
  const k = bias.length;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      let z = bias[c];
      for (let j = 0; j < d; j++) z += weight[c * d + j] * features[r * d + j];
      expect(logits[r * k + c]).toBeCloseTo(z, 3);
    }
  }
}

function randomHead(d: number, k: number, seed: number) {
  const rng = mulberry32(seed);
  return { weight: Float32Array.from({ length: k * d }, () => rng() - 0.5), bias: Float32Array.from({ length: k }, () => rng() - 0.5), numLabels: k, hiddenSize: d };
}

describe('replaceHead on emotion-mini', () => {
  it('writes a Gemm head whose logits are features x W^T + b, keeps the attentions and drops the old head', async () => {
    const original = new Uint8Array(await readFile(mini));
    const exposed = await run(exposeHiddenStateInModel(original).bytes, 'exposed.onnx', ['logits', FEATURES_OUTPUT, lastAttention]);
    const k = 3;
    const head = randomHead(128, k, 1);
    const replaced = replaceHead(original, head);
    const out = await run(replaced, 'replaced.onnx', ['logits', lastAttention]);

    expect(out['logits'].dims).toEqual([2, k]);
    expectLinear(out['logits'].data as Float32Array, exposed[FEATURES_OUTPUT].data as Float32Array, head.weight, head.bias, 128, 2);
    // the encoder is untouched: same attentions as the original graph
    expect(Array.from(out[lastAttention].data as Float32Array)).toEqual(Array.from(exposed[lastAttention].data as Float32Array));

    const graph = decodeModel(replaced).graph;
    expect(graph?.output?.map((o) => o.name)).toEqual(['logits', ...attentions]);
    expect(toNumber(graph?.output?.[0].type?.tensorType?.shape?.dim?.[1]?.dimValue)).toBe(k);
    const inits = (graph?.initializer ?? []).map((t) => t.name ?? '');
    expect(inits.filter((n) => /head_dense|head_out/.test(n))).toEqual([]);
    expect((graph?.node ?? []).filter((n) => /head_dense|head_out|\/model\/Tanh/.test(n.name ?? ''))).toEqual([]);
    expect(inits).toContain('glassbox.head.weight');
  });

  it('refuses a head of the wrong width', async () => {
    const original = new Uint8Array(await readFile(mini));
    expect(() => replaceHead(original, randomHead(64, 3, 1))).toThrow(/reads 64 features but the model's hidden state has 128/);
  });
});

describe('replaceHead on a torch.onnx export of RobertaClassificationHead', () => {
  it('replaces dense -> tanh -> out_proj by one linear layer on the <s> hidden state', async () => {
    const original = new Uint8Array(await readFile(tinyRoberta));
    const exposed = await run(exposeHiddenStateInModel(original).bytes, 'tiny-exposed.onnx', [FEATURES_OUTPUT]);
    const head = randomHead(16, 4, 2);
    const replaced = replaceHead(original, head);
    const out = await run(replaced, 'tiny-replaced.onnx', ['logits']);
    expect(out['logits'].dims).toEqual([2, 4]);
    expectLinear(out['logits'].data as Float32Array, exposed[FEATURES_OUTPUT].data as Float32Array, head.weight, head.bias, 16, 2);
    const inits = (decodeModel(replaced).graph?.initializer ?? []).map((t) => t.name);
    expect(inits.filter((n) => n?.startsWith('classifier.'))).toEqual([]);
  });
});
