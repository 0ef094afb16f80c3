import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GlassboxError } from '../errors.js';
import { loadModelBundle } from './model-bundle.js';
import { quantizeBundle } from './quantize-bundle.js';

const MINI = fileURLToPath(new URL('../../../../models/emotion-mini', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'glassbox-quantize-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A bundle with emotion-mini's fp32 graph at `graph` (model.onnx or onnx/model.onnx). */
function bundle(name: string, graph = 'model.onnx'): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  copyFileSync(join(MINI, 'model.onnx'), join(dir, graph));
  for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(MINI, f), join(dir, f));
  return dir;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof GlassboxError ? e.code : String(e);
  }
  return 'no error';
}

describe('quantizeBundle', () => {
  it('writes a quantized-only bundle in the optimum layout that loads as the quantized variant', async () => {
    const out = join(work, 'out-optimum');
    const result = await quantizeBundle(MINI, out);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model_quantized.onnx', 'tokenizer.json']);
    expect(result.copied).toEqual(['config.json', 'tokenizer.json']);
    expect(result.output.bytes).toBe(statSync(join(out, 'model_quantized.onnx')).size);
    expect(result.input.bytes).toBe(statSync(join(MINI, 'model.onnx')).size);
    expect(result.ratio).toBeCloseTo(result.output.bytes / result.input.bytes, 12);
    const loaded = loadModelBundle(out);
    expect([loaded.variant, loaded.layout]).toEqual(['quantized', 'optimum']);
    expect(loadModelBundle(out, { variant: 'quantized' }).modelPath).toBe(join(out, 'model_quantized.onnx'));
  });

  it('keeps the transformers.js layout: onnx/model_quantized.onnx beside config and tokenizer at the root', async () => {
    const out = join(work, 'out-tjs');
    await quantizeBundle(bundle('tjs', 'onnx/model.onnx'), out);
    expect(existsSync(join(out, 'onnx/model_quantized.onnx'))).toBe(true);
    expect(loadModelBundle(out).layout).toBe('transformers.js');
  });

  it('may write again into its own output (the quantized graph is replaced)', async () => {
    const out = join(work, 'out-twice');
    await quantizeBundle(MINI, out);
    await quantizeBundle(MINI, out);
    expect(loadModelBundle(out).variant).toBe('quantized');
  });

  it('refuses OUT_DIR = IN_DIR, a file, a directory with an fp32 graph, a quantized-only input, and no input', async () => {
    const input = bundle('refusals');
    expect(await codeOf(quantizeBundle(input, input))).toBe('QUANTIZE_OUTPUT_INVALID');
    expect(await codeOf(quantizeBundle(input, join(input, 'config.json')))).toBe('QUANTIZE_OUTPUT_INVALID');
    expect(await codeOf(quantizeBundle(input, bundle('has-fp32')))).toBe('QUANTIZE_OUTPUT_INVALID');
    const quantizedOnly = join(work, 'q-only');
    await quantizeBundle(input, quantizedOnly);
    expect(await codeOf(quantizeBundle(quantizedOnly, join(work, 'again')))).toBe('MODEL_ALREADY_QUANTIZED');
    expect(await codeOf(quantizeBundle(join(work, 'missing'), join(work, 'x')))).toBe('BUNDLE_NOT_FOUND');
    const empty = join(work, 'empty');
    mkdirSync(empty);
    expect(await codeOf(quantizeBundle(empty, join(work, 'y')))).toBe('BUNDLE_FILE_MISSING');
    writeFileSync(join(empty, 'model.onnx'), 'not a model');
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(MINI, f), join(empty, f));
    expect(await codeOf(quantizeBundle(empty, join(work, 'z')))).toBe('BUNDLE_FILE_INVALID');
    expect(existsSync(join(work, 'z', 'model_quantized.onnx'))).toBe(false);
  });
});
