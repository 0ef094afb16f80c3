import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GlassboxError } from '../errors.js';
import { miniModelDir, miniNoAttentionsDir } from '../test-support.js';
import { computeModelId, computeTokenizerId, loadModelBundle } from './model-bundle.js';

const dirs: string[] = [];
function tempBundle(files: Record<string, string | null>): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-bundle-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    if (content === null) copyFileSync(join(miniModelDir, name.replace(/^onnx\//, '').replace('_quantized', '')), join(dir, name));
    else writeFileSync(join(dir, name), content);
  }
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function error(f: () => unknown): GlassboxError {
  try {
    f();
  } catch (e) {
    if (e instanceof GlassboxError) return e;
    throw e;
  }
  throw new Error('expected a GlassboxError');
}

describe('loadModelBundle', () => {
  it('reads the optimum layout of the embedded model', () => {
    const b = loadModelBundle(miniModelDir);
    expect(b.layout).toBe('optimum');
    expect(b.config.labels).toEqual(['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise']);
    expect(b.config.modelType).toBe('roberta');
    expect(b.config.maxTokens).toBe((b.config.maxPositions ?? 0) - 2);
  });

  it('reads the transformers.js layout, default and quantized', () => {
    const dir = tempBundle({ 'onnx/model.onnx': null, 'onnx/model_quantized.onnx': null, 'config.json': null, 'tokenizer.json': null });
    expect(loadModelBundle(dir).modelPath).toBe(join(dir, 'onnx/model.onnx'));
    expect(loadModelBundle(dir).layout).toBe('transformers.js');
    expect(loadModelBundle(dir, { variant: 'quantized' }).modelPath).toBe(join(dir, 'onnx/model_quantized.onnx'));
  });

  it('says which variant it loaded: fp32 when present, else the quantized graph', () => {
    expect(loadModelBundle(miniModelDir).variant).toBe('fp32');
    const both = tempBundle({ 'onnx/model.onnx': null, 'onnx/model_quantized.onnx': null, 'config.json': null, 'tokenizer.json': null });
    expect(loadModelBundle(both).variant).toBe('fp32');
    expect(loadModelBundle(both, { variant: 'quantized' }).variant).toBe('quantized');
    const onlyInt8 = tempBundle({ 'onnx/model_quantized.onnx': null, 'config.json': null, 'tokenizer.json': null });
    const b = loadModelBundle(onlyInt8);
    expect(b.variant).toBe('quantized');
    expect(b.layout).toBe('transformers.js');
    expect(b.modelPath).toBe(join(onlyInt8, 'onnx/model_quantized.onnx'));
    expect(loadModelBundle(onlyInt8, { variant: 'quantized' }).modelPath).toBe(b.modelPath);
    const optimumInt8 = tempBundle({ 'model_quantized.onnx': null, 'config.json': null, 'tokenizer.json': null });
    expect(loadModelBundle(optimumInt8).layout).toBe('optimum');
  });

  it('refuses a variant the bundle lacks, naming the graphs it has', () => {
    const onlyInt8 = tempBundle({ 'onnx/model_quantized.onnx': null, 'config.json': null, 'tokenizer.json': null });
    const e = error(() => loadModelBundle(onlyInt8, { variant: 'fp32' }));
    expect(e.code).toBe('BUNDLE_VARIANT_MISSING');
    expect(e.message).toContain('onnx/model_quantized.onnx (quantized)');
    const e2 = error(() => loadModelBundle(miniNoAttentionsDir, { variant: 'quantized' }));
    expect(e2.code).toBe('BUNDLE_VARIANT_MISSING');
    expect(e2.message).toContain('model.onnx (fp32)');
    const e3 = error(() => loadModelBundle(miniModelDir, { variant: 'int4' as never }));
    expect(e3.code).toBe('INVALID_OPTION');
    expect(e3.message).toMatch(/fp32, quantized/);
  });

  it('names the missing file and what was expected', () => {
    expect(error(() => loadModelBundle('/nonexistent/model')).code).toBe('BUNDLE_NOT_FOUND');
    const noModel = tempBundle({ 'config.json': null, 'tokenizer.json': null });
    const e1 = error(() => loadModelBundle(noModel));
    expect(e1.code).toBe('BUNDLE_FILE_MISSING');
    expect(e1.message).toMatch(/model\.onnx, onnx\/model\.onnx, model_quantized\.onnx, onnx\/model_quantized\.onnx/);
    const noTokenizer = tempBundle({ 'model.onnx': null, 'config.json': null });
    const e2 = error(() => loadModelBundle(noTokenizer));
    expect(e2.code).toBe('BUNDLE_FILE_MISSING');
    expect(e2.message).toMatch(/tokenizer\.json/);
  });

  it('rejects a malformed config.json with the field at fault', () => {
    const notJson = tempBundle({ 'model.onnx': null, 'tokenizer.json': null, 'config.json': '{oops' });
    expect(error(() => loadModelBundle(notJson)).code).toBe('BUNDLE_FILE_INVALID');
    const noLabels = tempBundle({ 'model.onnx': null, 'tokenizer.json': null, 'config.json': '{"model_type":"roberta"}' });
    expect(error(() => loadModelBundle(noLabels)).message).toMatch(/id2label/);
    const gap = tempBundle({ 'model.onnx': null, 'tokenizer.json': null, 'config.json': '{"id2label":{"0":"a","5":"b"}}' });
    expect(error(() => loadModelBundle(gap)).message).toMatch(/ids 0\.\.1/);
  });

  it('identifies a model by the SHA-256 of its file', async () => {
    const id = await computeModelId(loadModelBundle(miniModelDir));
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('identifies a tokenizer by the SHA-256 of tokenizer.json, apart from the model', async () => {
    const bundle = loadModelBundle(miniModelDir);
    const expected = `sha256:${createHash('sha256').update(readFileSync(bundle.tokenizerPath)).digest('hex')}`;
    expect(await computeTokenizerId(bundle)).toBe(expected);
    expect(expected).not.toBe(await computeModelId(bundle));
  });
});
