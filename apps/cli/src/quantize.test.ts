import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ApiServer } from '@glassbox/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand } from './commands/serve.js';
import { cli } from './test-cli.js';

const MODEL_DIR = fileURLToPath(new URL('../../../models/emotion-mini', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'glassbox-quantize-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const out = join(work, 'int8');

/**
 * How far int8 logits may be from fp32: over the 5,425 texts of the GoEmotions dev split the
 * largest |logit difference| measured was 0.040 (median of the per-text maxima 0.009), from
 * rounding weights to 1/254 of each channel's range and activations to 1/255 of each tensor's;
 * 0.06 leaves room for ONNX Runtime's int8 kernels on other CPUs. Probabilities are softmax of
 * the logits, so they move by less than this bound.
 */
const LOGIT_TOLERANCE = 0.06;
const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
const TEXTS = ['I am so happy today', 'this is awful and I hate it', 'what a surprise!', 'I miss my grandmother so much'];

type Row = { label: string; probabilities: Record<string, number> };

function expectClose(a: Row[], b: Row[], tolerance: number) {
  expect(a.map((r) => r.label)).toEqual(b.map((r) => r.label));
  a.forEach((r, i) => LABELS.forEach((l) => expect(Math.abs(r.probabilities[l] - b[i].probabilities[l]), l).toBeLessThan(tolerance)));
}

beforeAll(async () => {
  const r = await cli('quantize', MODEL_DIR, out, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}, 120_000);

describe('glassbox quantize', () => {
  it('reports the sizes, the matrices and the logit difference against fp32 on its check texts', async () => {
    const again = join(work, 'again');
    const r = await cli('quantize', MODEL_DIR, again, '--json', '--check-text', TEXTS[0], '--check-text', TEXTS[1]);
    const report = JSON.parse(r.stdout);
    // Per layer: query, key, value, attention output and the two feed-forward matrices; then the head's two.
    const matrices = 6 * JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')).num_hidden_layers + 2;
    expect(report).toMatchObject({ quantized_matrices: matrices, quantized_embeddings: 2, operator: 'dynamic-quantize-matmul', copied: ['config.json', 'tokenizer.json'] });
    expect(report.input.bytes).toBe(readFileSync(join(MODEL_DIR, 'model.onnx')).length);
    expect(report.output.bytes).toBe(readFileSync(join(again, 'model_quantized.onnx')).length);
    expect(report.ratio).toBeLessThan(0.6);
    expect(report.check).toMatchObject({ texts: 2, same_label: 2 });
    expect(report.check.max_abs_logit_difference).toBeLessThan(LOGIT_TOLERANCE);
    const text = await cli('quantize', MODEL_DIR, join(work, 'text'), '--operator', 'matmul-integer', '--no-check');
    expect(text.stdout).toMatch(new RegExp(`quantized ${matrices} weight matrices .*matmul-integer.* and 2 embedding tables`));
    expect(text.stdout).toMatch(/-> .*model_quantized\.onnx \d+ bytes .*ratio 0\.\d{3}/);
    expect(text.stdout).not.toMatch(/logit difference/);
  }, 120_000);

  it('refuses bad input with one coded line', async () => {
    for (const [args, code] of [
      [[MODEL_DIR, MODEL_DIR], 'QUANTIZE_OUTPUT_INVALID'],
      [[out, join(work, 'x')], 'MODEL_ALREADY_QUANTIZED'],
      [[join(work, 'missing'), join(work, 'y')], 'BUNDLE_NOT_FOUND'],
      [[MODEL_DIR, join(MODEL_DIR, 'config.json')], 'QUANTIZE_OUTPUT_INVALID'],
    ] as const) {
      const r = await cli('quantize', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`[${code}]`);
    }
  });
});

describe('the quantized bundle loads wherever a model loads', () => {
  const data = join(work, 'labeled.tsv');
  beforeAll(() => {
    const rows = LABELS.flatMap((label, i) => [`I feel ${label} today\t${i}`, `so much ${label}, honestly\t${i}`, `this is ${label} again\t${i}`]);
    writeFileSync(data, `text\tlabel\n${[...rows, ...rows].join('\n')}\n`);
  });

  it('predict: the same labels as fp32, probabilities within the tolerance', async () => {
    const fp32 = JSON.parse((await cli('predict', '--json', ...TEXTS)).stdout) as Row[];
    const int8 = JSON.parse((await cli('predict', '--model', out, '--json', ...TEXTS)).stdout) as Row[];
    const embedded = JSON.parse((await cli('predict', '--variant', 'quantized', '--json', ...TEXTS)).stdout) as Row[];
    expectClose(int8, fp32, LOGIT_TOLERANCE);
    expectClose(embedded, int8, 1e-6);
    // The committed variant is this command's output, byte for byte.
    expect(readFileSync(join(out, 'model_quantized.onnx')).equals(readFileSync(join(MODEL_DIR, 'model_quantized.onnx')))).toBe(true);
  }, 60_000);

  it('batch, evaluate, calibrate and monitor reference/replay', async () => {
    const batchOut = join(work, 'out.jsonl');
    const batch = await cli('batch', '--model', out, '--in', data, '--out', batchOut, '--no-progress');
    expect(batch.code).toBe(0);
    expect(readFileSync(batchOut, 'utf8').trim().split('\n')).toHaveLength(42);
    const [fp32, int8] = [await cli('evaluate', '--data', data, '--json'), await cli('evaluate', '--model', out, '--data', data, '--json')];
    expect(JSON.parse(int8.stdout).n).toBe(42);
    expect(Math.abs(JSON.parse(int8.stdout).accuracy - JSON.parse(fp32.stdout).accuracy)).toBeLessThanOrEqual(2 / 42);
    const calibration = join(work, 'calibration.json');
    const fit = await cli('calibrate', '--model', out, '--data', data, '--out', calibration, '--json');
    expect(fit.code).toBe(0);
    // A calibration is tied to the graph it was fitted on: the fp32 graph refuses it.
    const mismatch = await cli('predict', '--calibration', calibration, 'hello');
    expect(mismatch.stderr).toContain('[CALIBRATION_MODEL_MISMATCH]');
    expect((await cli('predict', '--model', out, '--calibration', calibration, 'hello')).code).toBe(0);
    const reference = join(work, 'reference.json');
    expect((await cli('monitor', 'reference', '--model', out, '--data', data, '--out', reference)).code).toBe(0);
    const replay = await cli('monitor', 'replay', '--model', out, '--reference', reference, '--data', data, '--json');
    expect(replay.stderr).toBe('');
    expect(JSON.parse(replay.stdout).predictions).toBe(42);
  }, 120_000);

  it('explain: attention rollout runs on the quantized graph (it keeps attentions.N) and agrees with fp32', async () => {
    const text = 'I am so happy today but also a little scared';
    const [fp32, int8] = await Promise.all([
      cli('explain', '--json', '--method', 'rollout', '--method', 'occlusion', text),
      cli('explain', '--json', '--method', 'rollout', '--method', 'occlusion', '--model', out, text),
    ]);
    const [a, b] = [JSON.parse(fp32.stdout), JSON.parse(int8.stdout)];
    expect(b.attributions.rollout).toHaveLength(a.attributions.rollout.length);
    b.attributions.rollout.forEach((v: number, i: number) => expect(Math.abs(v - a.attributions.rollout[i])).toBeLessThan(0.02));
    expect(b.attributions.occlusion).toHaveLength(a.attributions.occlusion.length);
  }, 60_000);

  it('expose-attentions works on a quantized standard export, in place', async () => {
    const plain = join(work, 'plain-int8');
    expect((await cli('quantize', join(MODEL_DIR, 'no-attentions'), plain, '--no-check')).code).toBe(0);
    const graph = join(plain, 'model_quantized.onnx');
    const before = await cli('explain', '--json', '--method', 'rollout', '--model', plain, 'what a day');
    expect(before.stderr).toContain('[PLUGIN_CAPABILITY_MISSING]');
    const layers: number = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')).num_hidden_layers;
    expect((await cli('expose-attentions', graph, graph)).stdout).toContain(`${layers} attention outputs`);
    const explained = JSON.parse((await cli('explain', '--json', '--method', 'rollout', '--model', plain, 'what a day')).stdout);
    expect(explained.attributions.rollout.length).toBeGreaterThan(0);
  }, 60_000);

  it('serve: predictions and rollout explanations from the quantized bundle', async () => {
    const log = new PassThrough();
    let text = '';
    log.on('data', (c: Buffer) => (text += c.toString()));
    const server: ApiServer = await serveCommand({ model: [out], port: 0, host: '127.0.0.1', state: ':memory:', workers: 1 }, log);
    try {
      expect(text).toMatch(/\(quantized\)/);
      const base = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
      const post = (path: string, body: unknown) =>
        fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const predicted = await post('/v1/predict', { inputs: TEXTS });
      expect(predicted.status).toBe(200);
      const fp32 = JSON.parse((await cli('predict', '--json', ...TEXTS)).stdout) as Row[];
      const served = ((await predicted.json()) as { predictions: Row[] }).predictions;
      expectClose(served, fp32, LOGIT_TOLERANCE);
      const explained = await post('/v1/explain', { inputs: TEXTS[0], methods: ['rollout'] });
      expect(explained.status).toBe(200);
      expect(((await explained.json()) as { attributions: Record<string, number[]> }).attributions['rollout'].length).toBeGreaterThan(0);
    } finally {
      await server.close();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const [last] = process.listeners(signal).slice(-1);
        if (last) process.removeListener(signal, last);
      }
    }
  }, 60_000);
});

// The committed variant's files: the graph and its own calibration, never named like the fp32 ones.
describe('models/emotion-mini quantized variant', () => {
  it('has its calibration fitted on the quantized graph', async () => {
    const r = await cli('predict', '--variant', 'quantized', '--calibration', join(MODEL_DIR, 'model_quantized.calibration.json'), '--json', TEXTS[0]);
    expect(r.stderr).toBe('');
    const wrong = await cli('predict', '--variant', 'fp32', '--calibration', join(MODEL_DIR, 'model_quantized.calibration.json'), TEXTS[0]);
    expect(wrong.stderr).toContain('[CALIBRATION_MODEL_MISMATCH]');
  }, 60_000);
});
