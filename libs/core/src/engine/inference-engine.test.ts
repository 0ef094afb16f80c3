import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GlassboxError } from '../errors.js';
import { miniLayers, miniModelDir, miniNoAttentionsDir } from '../test-support.js';
import { padBatch } from './forward-batch.js';
import { availableParallelism } from 'node:os';
import { createInferenceEngine, defaultIntraOpThreads, type InferenceEngine } from './inference-engine.js';

const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
const texts = [
  "I can't believe you did this to me",
  'What a wonderful surprise, thank you so much!',
  'ok',
  'This is disgusting and I am furious about it, honestly the worst service I have ever had.',
];

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof GlassboxError ? e.code : `not a GlassboxError: ${e}`;
  }
  return 'no error';
}

describe('inference engine on the embedded model', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(miniModelDir, { batchSize: 3 });
  });
  afterAll(() => engine.dispose());

  it('returns label, score, probabilities over the 7 labels and logits per text', async () => {
    const preds = await engine.classify(texts);
    expect(preds).toHaveLength(texts.length);
    for (const [i, p] of preds.entries()) {
      expect(p.text).toBe(texts[i]);
      expect(Object.keys(p.probabilities)).toEqual(LABELS);
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
      expect(p.score).toBe(Math.max(...Object.values(p.probabilities)));
      expect(p.probabilities[p.label]).toBe(p.score);
      expect(p.logits).toHaveLength(7);
      expect(p.truncated).toBe(false);
    }
  });

  it('gives each text the same logits alone as inside a padded, length-sorted batch', async () => {
    const batched = await engine.classify(texts);
    for (const [i, t] of texts.entries()) {
      const [alone] = await engine.classify(t);
      alone.logits.forEach((v, j) => expect(Math.abs(v - batched[i].logits[j])).toBeLessThan(1e-4));
    }
  });

  it('uses encodings handed in instead of tokenizing again, and only those of the very same text', async () => {
    const plain = await engine.classify(texts);
    const encodings = await engine.encode(texts);
    const encode = vi.spyOn(engine.tokenizer, 'encode');
    try {
      const reused = await engine.classify(texts, { encodings });
      expect(encode).not.toHaveBeenCalled();
      expect(reused.map((p) => p.logits)).toEqual(plain.map((p) => p.logits));
      // A stale encoding (another text's) and a missing one are tokenized afresh, the rest reused.
      const mixed = await engine.classify(texts, { encodings: [encodings[1], null, encodings[2], encodings[3]] });
      expect(encode).toHaveBeenCalledTimes(1);
      expect(encode.mock.calls[0][0]).toEqual([texts[0], texts[1]]);
      expect(mixed.map((p) => p.logits)).toEqual(plain.map((p) => p.logits));
    } finally {
      encode.mockRestore();
    }
  });

  it('accepts a string, pre-tokenized words and async iterables, in order', async () => {
    const [single] = await engine.classify(texts[0]);
    const [words] = await engine.classify({ tokens: texts[0].split(' ') });
    expect(words.logits).toEqual(single.logits);
    async function* gen() {
      for (const t of texts) yield t;
    }
    const streamed = [];
    for await (const p of engine.classifyStream(gen(), { chunkSize: 3 })) streamed.push(p.text);
    expect(streamed).toEqual(texts);
  });

  it('rejects empty and non-string inputs with INVALID_INPUT', async () => {
    expect(await codeOf(engine.classify(''))).toBe('INVALID_INPUT');
    expect(await codeOf(engine.classify(['fine', '   ']))).toBe('INVALID_INPUT');
    expect(await codeOf(engine.classify([42 as unknown as string]))).toBe('INVALID_INPUT');
  });

  it('exposes attentions through forward(): one [B,H,S,S] tensor per layer, rows summing to 1', async () => {
    expect(engine.capabilities.attentions).toBe(true);
    const [enc] = await engine.encode([texts[0]]);
    const batch = padBatch([enc.ids, enc.ids.slice(0, 4).concat([engine.tokenizer.eosId])], engine.tokenizer.padId);
    const out = await engine.forward(batch, { attentions: true });
    const { attentions = [], numHeads: heads = 0 } = out;
    expect(attentions).toHaveLength(miniLayers);
    const s = batch.seqLen;
    const layer = attentions[0];
    expect(layer.length).toBe(2 * heads * s * s);
    let sum = 0;
    for (let j = 0; j < s; j++) sum += layer[j];
    expect(sum).toBeCloseTo(1, 5);
    // padded key positions of the short row get no attention
    const row2 = layer.subarray(heads * s * s, heads * s * s + s);
    for (let j = 5; j < s; j++) expect(row2[j]).toBeLessThan(1e-6);
  });
});

describe('long texts', () => {
  const long = Array.from({ length: 60 }, () => 'I am so happy today and also a bit scared').join(', ');

  it('truncates by default and says so', async () => {
    const engine = await createInferenceEngine(miniModelDir, { maxLength: 64 });
    const [p] = await engine.classify(long);
    expect(p.truncated).toBe(true);
    expect(p.tokens).toBeGreaterThan(64);
    expect(p.windows).toBe(1);
    await engine.dispose();
  });

  it('chunk mode classifies overlapping windows over the whole text and aggregates them', async () => {
    for (const chunkAggregate of ['mean', 'max'] as const) {
      const engine = await createInferenceEngine(miniModelDir, { maxLength: 64, longText: 'chunk', chunkOverlap: 16, chunkAggregate });
      const [p] = await engine.classify(long);
      expect(p.truncated).toBe(false);
      expect(p.windows).toBe(Math.ceil((p.tokens - 2 - 62) / 46) + 1);
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
      await engine.dispose();
    }
  });
});

describe('worker threads', () => {
  it('gives the same logits as in-process inference and keeps the event loop free', async () => {
    const local = await createInferenceEngine(miniModelDir);
    const pooled = await createInferenceEngine(miniModelDir, { workers: 2, intraOpThreads: 1, spinning: false });
    const many = Array.from({ length: 400 }, (_, i) => `${texts[i % texts.length]} ${i}`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const remote = await pooled.classify(many);
    clearInterval(timer);
    const direct = await local.classify(many);
    remote.forEach((p, i) => p.logits.forEach((v, j) => expect(Math.abs(v - direct[i].logits[j])).toBeLessThan(1e-5)));
    expect(ticks).toBeGreaterThan(0);
    await Promise.all([local.dispose(), pooled.dispose()]);
    expect(await codeOf(pooled.classify('after dispose'))).toBe('ENGINE_DISPOSED');
  });
});

describe('models without attention outputs', () => {
  it('reports the capability missing and refuses attention requests with a coded error', async () => {
    const engine = await createInferenceEngine(miniNoAttentionsDir);
    expect(engine.capabilities.attentions).toBe(false);
    const [enc] = await engine.encode(['hello there']);
    expect(await codeOf(engine.forward(padBatch([enc.ids], 1), { attentions: true }))).toBe('PLUGIN_CAPABILITY_MISSING');
    await engine.dispose();
  });
});

describe('engine options', () => {
  it('rejects out-of-range options naming the valid range', async () => {
    expect(await codeOf(createInferenceEngine(miniModelDir, { batchSize: 0 }))).toBe('INVALID_OPTION');
    expect(await codeOf(createInferenceEngine(miniModelDir, { maxLength: 100000 }))).toBe('INVALID_OPTION');
    expect(await codeOf(createInferenceEngine(miniModelDir, { longText: 'split' as 'chunk' }))).toBe('INVALID_OPTION');
    expect(await codeOf(createInferenceEngine(miniModelDir, { intraOpThreads: 0 }))).toBe('INVALID_OPTION');
  });

  it('defaults intra-op threads to the cores Node can use, shared among worker sessions; an explicit count wins', async () => {
    expect(defaultIntraOpThreads(0, 8)).toBe(8);
    expect(defaultIntraOpThreads(1, 8)).toBe(8);
    expect(defaultIntraOpThreads(2, 8)).toBe(4);
    expect(defaultIntraOpThreads(3, 8)).toBe(2);
    expect(defaultIntraOpThreads(4, 2)).toBe(1);
    expect(defaultIntraOpThreads(0, 1)).toBe(1);
    const byDefault = await createInferenceEngine(miniModelDir);
    const explicit = await createInferenceEngine(miniModelDir, { intraOpThreads: 3 });
    try {
      expect(byDefault.options.intraOpThreads).toBe(availableParallelism());
      expect(explicit.options.intraOpThreads).toBe(3);
    } finally {
      await Promise.all([byDefault.dispose(), explicit.dispose()]);
    }
  });

  it('loads the variant asked for and reports it', async () => {
    const engine = await createInferenceEngine(miniModelDir, { variant: 'fp32' });
    try {
      expect(engine.bundle.variant).toBe('fp32');
    } finally {
      await engine.dispose();
    }
    expect(await codeOf(createInferenceEngine(miniNoAttentionsDir, { variant: 'quantized' }))).toBe('BUNDLE_VARIANT_MISSING');
  });
});
