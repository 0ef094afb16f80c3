import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, createPluginRegistry, GlassboxError, type InferenceEngine } from '@glassbox/core';
import { explainText } from './explain-text.js';
import { renderExplanationHtml } from './html-report.js';
import occlusionExplainer from './occlusion-explainer.js';
import { miniModelDir, miniNoAttentionsDir } from './test-models.js';

const text = "I can't believe you did this to me, I'm so angry!";

describe('explainText', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(miniModelDir);
  });
  afterAll(() => engine.dispose());

  it('returns aligned token spans and scores for rollout and occlusion, words and agreement', async () => {
    const e = await explainText(engine, text, { granularity: 'token' });
    expect(e.label).toBe(Object.entries(e.probabilities).sort((a, b) => b[1] - a[1])[0][0]);
    expect(e.target).toBe(e.label);
    for (const t of e.tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
    expect(e.attributions.rollout).toHaveLength(e.tokens.length);
    expect(e.attributions.occlusion).toHaveLength(e.tokens.length);
    expect(e.words.map((w) => w.text)).toEqual(text.split(' '));
    // word scores are sums of token scores
    const tokenSum = (e.attributions.occlusion ?? []).reduce((a, b) => a + b, 0);
    const wordSum = (e.word_attributions.occlusion ?? []).reduce((a, b) => a + b, 0);
    expect(wordSum).toBeCloseTo(tokenSum, 9);
    expect(e.class_agnostic).toEqual(['rollout']);
    expect(e.agreement?.kendall_tau).toBeGreaterThanOrEqual(-1);
  });

  it('rollout mass over the shown tokens is at most 1 and does not depend on the target', async () => {
    const a = await explainText(engine, text, { methods: ['rollout'], target: 'joy' });
    const b = await explainText(engine, text, { methods: ['rollout'], target: 'anger' });
    expect(a.attributions.rollout).toEqual(b.attributions.rollout);
    const sum = (a.attributions.rollout ?? []).reduce((x, y) => x + y, 0);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('scores faithfulness beside a seeded random ranking', async () => {
    const e = await explainText(engine, text, { faithfulness: true, seed: 3 });
    expect(Object.keys(e.faithfulness ?? {}).sort()).toEqual(['occlusion', 'random', 'rollout']);
    for (const f of Object.values(e.faithfulness ?? {})) {
      expect(f.comprehensiveness).toHaveLength(5);
      expect(f.comprehensiveness_aopc).toBeCloseTo(f.comprehensiveness.reduce((a, b) => a + b, 0) / 5, 12);
    }
    const again = await explainText(engine, text, { faithfulness: true, seed: 3 });
    expect(again.faithfulness?.random).toEqual(e.faithfulness?.random);
  });

  // About 450 tokens: several model windows of the mini model (128 tokens).
  const long = Array.from({ length: 40 }, (_, i) => `this is sentence ${i} and I feel great about it`).join('. ');

  it('explains a truncated prediction over what it read, and says so with the token count', async () => {
    const e = await explainText(engine, long, { methods: ['occlusion'], faithfulness: true });
    const [enc] = await engine.encode([long]);
    expect(enc.ids.length).toBeGreaterThan(engine.maxLength);
    expect(e).toMatchObject({ truncated: true, text_tokens: enc.ids.length, windows: 1 });
    // Only words the model read: here the text up to "... sentence 11 and".
    const read = long.slice(0, e.words.at(-1)?.end);
    expect(read.endsWith('sentence 11 and')).toBe(true);
    const [prefix] = await engine.encode([read]);
    expect(prefix.ids).toEqual([...enc.ids.slice(0, engine.maxLength - 1), engine.tokenizer.eosId]);
    // The same scores as explaining exactly the text the model read; words after it have none.
    const alone = await explainText(engine, read, { methods: ['occlusion'], faithfulness: true });
    expect(alone.truncated).toBe(false);
    expect(e.words).toEqual(alone.words);
    expect(e.word_attributions).toEqual(alone.word_attributions);
    // Faithfulness fits: it perturbs the one pass the prediction made.
    expect(e.faithfulness).toEqual(alone.faithfulness);
    expect(e.probabilities).toEqual((await engine.classify(long))[0].probabilities);
  });

  it("explains a text longer than the model maximum window by window under longText 'chunk', scoring every token", async () => {
    const chunked = await createInferenceEngine(miniModelDir, { longText: 'chunk' });
    try {
      const e = await explainText(chunked, long, { methods: ['occlusion'], granularity: 'token' });
      expect(e.windows).toBeGreaterThan(1);
      expect(e.truncated).toBe(false);
      expect((e.attributions.occlusion ?? []).every(Number.isFinite)).toBe(true);
      const [enc] = await chunked.encode([long]);
      expect(e.text_tokens).toBe(enc.ids.length);
      expect(e.tokens.length).toBe(new Set(enc.offsets.filter((_, i) => !enc.special[i]).map((o) => o.join())).size);
      const refused = await explainText(chunked, long, { methods: ['occlusion'], faithfulness: true }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/faithfulness needs the whole text in one forward pass/) });
    } finally {
      await chunked.dispose();
    }
  });

  it('refuses rollout on a model without attention outputs, from its requires, and skips it by default', async () => {
    const plain = await createInferenceEngine(miniNoAttentionsDir);
    const refused = await explainText(plain, text, { methods: ['rollout'] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GlassboxError);
    expect(refused).toMatchObject({ code: 'PLUGIN_CAPABILITY_MISSING', message: expect.stringMatching(/explainer "rollout" needs attention outputs.*expose-attentions/) });
    const e = await explainText(plain, text);
    expect(Object.keys(e.attributions)).toEqual(['occlusion']);
    await plain.dispose();
  });

  it('runs any registered explainer, with its options, and agrees pairwise across three methods', async () => {
    const explainers = createPluginRegistry('explainer');
    explainers.register(occlusionExplainer);
    explainers.register({
      kind: 'explainer',
      name: 'position',
      description: 'later units score higher (a test double)',
      options: { scale: { type: 'number', default: 1 } },
      explain: (input) => input.units.map((_, i) => i * (input.options.scale as number)),
    }, { origin: 'file', location: '/tmp/position.mjs' });
    explainers.register({ kind: 'explainer', name: 'constant', description: 'every unit 1', explain: (input) => input.units.map(() => 1) });
    const e = await explainText(engine, text, { explainers, methods: ['occlusion', 'position', 'constant'], methodOptions: { position: { scale: 2 } } });
    expect(e.word_attributions.position).toEqual(e.words.map((_, i) => 2 * i));
    expect(e.agreement?.pairs.map((p) => p.methods.join('/'))).toEqual(['occlusion/position', 'occlusion/constant', 'position/constant']);
    expect(e.agreement?.kendall_tau).toBeUndefined();
    await expect(explainText(engine, text, { explainers, methods: ['shap'] })).rejects.toMatchObject({ code: 'PLUGIN_UNKNOWN', message: expect.stringMatching(/registered: occlusion, position, constant/) });
    await expect(explainText(engine, text, { explainers, methods: ['position'], methodOptions: { position: { scale: 'big' } } })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('fails the explanation with PLUGIN_FAILED naming a plugin that throws or returns the wrong number of scores', async () => {
    const explainers = createPluginRegistry('explainer');
    const source = { origin: 'file', location: '/tmp/broken.mjs' } as const;
    explainers.register({ kind: 'explainer', name: 'throws', description: 'throws', explain: () => { throw new Error('boom'); } }, source);
    explainers.register({ kind: 'explainer', name: 'short', description: 'too few scores', explain: () => [1] });
    await expect(explainText(engine, text, { explainers, methods: ['throws'] })).rejects.toMatchObject({
      code: 'PLUGIN_FAILED',
      message: 'explainer "throws" (from /tmp/broken.mjs) failed: boom',
    });
    await expect(explainText(engine, text, { explainers, methods: ['short'] })).rejects.toMatchObject({ code: 'PLUGIN_FAILED', message: expect.stringMatching(/"short" returned 1 values/) });
    // the engine still works
    expect((await explainText(engine, text, { methods: ['occlusion'] })).attributions.occlusion).toHaveLength(text.split(' ').length);
  });

  it('renders a standalone HTML page with the user text escaped', async () => {
    const hostile = '<script>alert("x")</script> I am so happy & grateful';
    const html = renderExplanationHtml(await explainText(engine, hostile, { faithfulness: true }));
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toContain('comprehensiveness AOPC');
    expect(html).not.toContain('Truncated');
  });

  it('greys what a truncated prediction did not read in the HTML page, and says why', async () => {
    const e = await explainText(engine, long, { methods: ['occlusion'] });
    const html = renderExplanationHtml(e);
    const tail = long.slice(e.words.at(-1)?.end);
    expect(html).toContain(`<span class="unread" title="not read by the model">${tail}</span>`);
    expect(html).toContain(`Truncated: this text has ${e.text_tokens} tokens, more than the model reads`);
  });
});
