import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, GlassboxError, padBatch, softmax, type InferenceEngine } from '@glassbox/core';
import { createEnsembleEngine } from './ensemble-engine.js';

const models = fileURLToPath(new URL('../../../models/', import.meta.url));
const texts = ['I am so happy for you!', 'This is disgusting.', 'Why would you do that to me?', 'ok'];

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof GlassboxError ? e.code : String(e);
  }
  return 'no error';
}

describe('ensemble engine', () => {
  let a: InferenceEngine;
  let b: InferenceEngine;
  beforeAll(async () => {
    a = await createInferenceEngine(`${models}emotion-mini`);
    b = await createInferenceEngine(`${models}emotion-mini-b`);
  });
  afterAll(async () => {
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('averages member probabilities with weights, and its logits give that mean back through softmax', async () => {
    const ens = createEnsembleEngine([{ engine: a, weight: 1 }, { engine: b, weight: 3 }]);
    const [pa, pb, pe] = await Promise.all([a.classify(texts), b.classify(texts), ens.classify(texts)]);
    pe.forEach((p, i) => {
      for (const l of a.labels) {
        const expected = 0.25 * pa[i].probabilities[l] + 0.75 * pb[i].probabilities[l];
        expect(p.probabilities[l]).toBeCloseTo(expected, 6);
      }
      const back = softmax(p.logits);
      a.labels.forEach((l, j) => expect(back[j]).toBeCloseTo(p.probabilities[l], 6));
      expect(p.label).toBe(a.labels[back.indexOf(Math.max(...back))]);
    });
  });

  it('averages logits in logits mode', async () => {
    const ens = createEnsembleEngine([a, b], { combine: 'logits' });
    const [pa, pb, pe] = await Promise.all([a.classify(texts), b.classify(texts), ens.classify(texts)]);
    pe.forEach((p, i) => p.logits.forEach((v, j) => expect(v).toBeCloseTo((pa[i].logits[j] + pb[i].logits[j]) / 2, 5)));
  });

  it('is one model downstream: forward() agrees with classify(), streams, has its own identity', async () => {
    const ens = createEnsembleEngine([a, b]);
    const encodings = await ens.encode(texts);
    const out = await ens.forward(padBatch(encodings.map((e) => e.ids), ens.tokenizer.padId));
    const preds = await ens.classify(texts);
    preds.forEach((p, i) => p.logits.forEach((v, j) => expect(out.logits[i * 7 + j]).toBeCloseTo(v, 4)));
    const streamed = [];
    for await (const p of ens.classifyStream(texts, { chunkSize: 3 })) streamed.push(p.label);
    expect(streamed).toEqual(preds.map((p) => p.label));
    const id = await ens.modelId();
    expect(id).toMatch(/^sha256:/);
    expect(id).not.toBe(await a.modelId());
    expect(await createEnsembleEngine([a, b]).modelId()).toBe(id);
    expect(await createEnsembleEngine([b, a]).modelId()).not.toBe(id);
  });

  it('one model under two calibrations: the engine runs once per text, calibrators combine', async () => {
    const sharpen = { kind: 'calibrator' as const, name: 'sharpen', calibrate: (l: Float32Array, k: number) => rowsSoftmax(l, k, 2) };
    const flatten = { kind: 'calibrator' as const, name: 'flatten', calibrate: (l: Float32Array, k: number) => rowsSoftmax(l, k, 0.5) };
    const ens = createEnsembleEngine([{ engine: a, calibrator: sharpen }, { engine: a, calibrator: flatten }]);
    const [pa, pe] = await Promise.all([a.classify(texts), ens.classify(texts)]);
    pe.forEach((p, i) => {
      const s = softmax(pa[i].logits.map((v) => v * 2));
      const f = softmax(pa[i].logits.map((v) => v * 0.5));
      a.labels.forEach((l, j) => expect(p.probabilities[l]).toBeCloseTo((s[j] + f[j]) / 2, 6));
    });
  });

  it('refuses bad members, weights and attention requests with coded errors', async () => {
    const other = { ...a, labels: ['pos', 'neg'] } as InferenceEngine;
    expect(code(() => createEnsembleEngine([a, other]))).toBe('ENSEMBLE_INVALID');
    expect(code(() => createEnsembleEngine([{ engine: a, weight: 0 }, b]))).toBe('ENSEMBLE_INVALID');
    expect(code(() => createEnsembleEngine([]))).toBe('ENSEMBLE_INVALID');
    const ens = createEnsembleEngine([a, b]);
    expect(ens.capabilities.attentions).toBe(false);
    await expect(ens.forward(padBatch([[0, 2]], 1), { attentions: true })).rejects.toMatchObject({ code: 'PLUGIN_CAPABILITY_MISSING' });
  });
});

function rowsSoftmax(logits: Float32Array, k: number, scale: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += k) out.set(softmax(Array.from(logits.subarray(r, r + k), (v) => v * scale)), r);
  return out;
}
