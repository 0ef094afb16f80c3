import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiServer } from './api-server.js';
import { resolveApiOptions } from './api-options.js';
import { MODEL_DIR, startTestServer } from './test-server.js';

// A transformers.js-layout bundle holding only onnx/model_quantized.onnx (a copy of the fp32
// graph: these tests are about loading and selection, not quantization).
const work = mkdtempSync(join(tmpdir(), 'glassbox-variant-'));
const int8Only = join(work, 'int8-only');
mkdirSync(join(int8Only, 'onnx'), { recursive: true });
copyFileSync(join(MODEL_DIR, 'model.onnx'), join(int8Only, 'onnx/model_quantized.onnx'));
for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(MODEL_DIR, f), join(int8Only, f));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('server options: variant and intra-op threads', () => {
  it('serves a quantized-only bundle, asked for or not, and says which graph it serves', async () => {
    for (const variant of [undefined, 'quantized'] as const) {
      const t = await startTestServer({ modelDir: int8Only, workers: 0, log: { write: () => undefined }, ...(variant ? { variant } : {}) });
      try {
        expect(t.server.modelVariant).toBe('quantized');
        const config = await t.get('/admin/config');
        expect(config.status).toBe(200);
        expect(config.body.modelVariant).toBe('quantized');
        expect(config.body.variant).toBe(variant ?? null);
        const res = await t.post('/v1/predict', { inputs: 'what a wonderful day' });
        expect(res.status).toBe(200);
      } finally {
        await t.server.close();
      }
    }
  });

  it('refuses a variant the bundle lacks with a coded error naming the graphs it has', async () => {
    await expect(createApiServer({ modelDir: int8Only, workers: 0, variant: 'fp32' })).rejects.toMatchObject({
      code: 'BUNDLE_VARIANT_MISSING',
      message: expect.stringContaining('onnx/model_quantized.onnx (quantized)'),
    });
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, variant: 'int4' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('defaults intra-op threads to the cores Node can use divided among the workers; an explicit count wins', () => {
    const cores = availableParallelism();
    expect(resolveApiOptions({ modelDir: MODEL_DIR }).intraOpThreads).toBe(cores);
    expect(resolveApiOptions({ modelDir: MODEL_DIR, workers: 0 }).intraOpThreads).toBe(cores);
    expect(resolveApiOptions({ modelDir: MODEL_DIR, workers: 2 }).intraOpThreads).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(resolveApiOptions({ modelDir: MODEL_DIR, workers: 4 * cores }).intraOpThreads).toBe(1);
    expect(resolveApiOptions({ modelDir: MODEL_DIR, intraOpThreads: 3 }).intraOpThreads).toBe(3);
    expect(() => resolveApiOptions({ modelDir: MODEL_DIR, intraOpThreads: 0 })).toThrow(/intraOpThreads/);
  });

  it('keeps ONNX Runtime threads from spinning unless asked (they share the cores with the event loop)', () => {
    expect(resolveApiOptions({ modelDir: MODEL_DIR }).spinning).toBe(false);
    expect(resolveApiOptions({ modelDir: MODEL_DIR, spinning: true }).spinning).toBe(true);
    expect(() => resolveApiOptions({ modelDir: MODEL_DIR, spinning: 'yes' as never })).toThrow(/spinning must be true or false/);
  });
});
