import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '@glassbox/api';
import { onnxProto } from '@glassbox/core';
import { cli } from './test-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MODEL_DIR = join(ROOT, 'models/emotion-mini');
const DEV = join(ROOT, '../shared/data/goemotions-ekman/dev.tsv');
const haveShared = existsSync(DEV);
const work = mkdtempSync(join(tmpdir(), 'glassbox-finetune-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

const write = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

describe('glassbox finetune: bad input gets one coded line', () => {
  const texts = ['what a lovely day', 'this is terrible', 'I am so happy for you', 'I hate waiting', 'great news', 'awful service', 'thanks a lot', 'never again'];
  const twoClass = write('two-class.csv', `text,label\n${texts.map((t, i) => `${t},${i % 2 ? 'bad' : 'good'}`).join('\n')}\n`);
  const out = join(work, 'never-written');

  it('an unknown label in the data', async () => {
    const r = await cli('finetune', '--model', MODEL_DIR, '--data', twoClass, '--out', out, '--labels', 'good,neutral', '--no-progress');
    expectOneLineError(r, /two-class\.csv:3: label "bad" is neither a label name \(good, neutral\).*\[UNKNOWN_LABEL\]/);
  });

  it('a single-class dataset', async () => {
    const single = write('single.csv', `text,label\n${texts.map((t) => `${t},joy`).join('\n')}\n`);
    expectOneLineError(await cli('finetune', '--model', MODEL_DIR, '--data', single, '--out', out, '--no-progress'), /single class \(joy\).*\[TRAINING_DATA_INVALID\]/);
  });

  it('too few rows to split into training and validation parts', async () => {
    const two = write('two-rows.csv', 'text,label\nwhat a lovely day,good\nthis is terrible,bad\n');
    expectOneLineError(await cli('finetune', '--model', MODEL_DIR, '--data', two, '--out', out, '--no-progress'), /2 rows are too few to split.*\[TRAINING_DATA_INVALID\]/);
  });

  it('an empty file', async () => {
    const empty = write('empty.csv', 'text,label\n');
    expectOneLineError(await cli('finetune', '--model', MODEL_DIR, '--data', empty, '--out', out, '--no-progress'), /no single-label rows.*\[INPUT_FORMAT\]/);
  });

  it('a model whose graph has no reachable hidden state (mean pooling)', async () => {
    const dir = join(work, 'mean-pooled');
    mkdirSync(dir, { recursive: true });
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(MODEL_DIR, f), join(dir, f));
    const f32 = onnxProto.TensorProto.DataType.FLOAT;
    const io = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'b' }, { dimParam: 's' }] } } } });
    writeFileSync(
      join(dir, 'model.onnx'),
      onnxProto.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 14 }],
        graph: {
          name: 'mean-pooled',
          input: [io('input_ids', onnxProto.TensorProto.DataType.INT64)],
          output: [io('logits', f32)],
          initializer: [
            { name: 'emb', dims: [8192, 4], dataType: f32, rawData: new Uint8Array(8192 * 4 * 4) },
            { name: 'w', dims: [4, 7], dataType: f32, rawData: new Uint8Array(4 * 7 * 4) },
          ],
          node: [
            { opType: 'Gather', input: ['emb', 'input_ids'], output: ['h'] },
            { opType: 'ReduceMean', input: ['h'], output: ['pooled'], attribute: [{ name: 'axes', type: 7, ints: [1] }, { name: 'keepdims', type: 2, i: 0 }] },
            { opType: 'MatMul', input: ['pooled', 'w'], output: ['logits'] },
          ],
        },
      }).finish(),
    );
    expectOneLineError(await cli('finetune', '--model', dir, '--data', twoClass, '--out', out, '--no-progress'), /no reachable <s> hidden state: .*reached ReduceMean.*\[HIDDEN_STATE_NOT_FOUND\]/);
  });

  it('bad flags', async () => {
    const base = ['finetune', '--model', MODEL_DIR, '--data', twoClass, '--out', out, '--no-progress'];
    expectOneLineError(await cli(...base, '--val-split', '1.5'), /--val-split must be a number in \(0, 1\)/);
    expectOneLineError(await cli(...base, '--class-weights', 'inverse'), /Allowed choices are auto, none/);
    expectOneLineError(await cli(...base, '--seed', '-3'), /--seed must be a non-negative integer/);
    expectOneLineError(await cli(...base, '--labels', 'good'), /--labels must name at least two distinct labels.*\[INVALID_OPTION\]/);
    expectOneLineError(await cli('finetune', '--data', twoClass, '--out', MODEL_DIR, '--no-progress'), /--out must be a new directory.*\[INVALID_OPTION\]/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('glassbox finetune: label sets', () => {
  it('infers a new label set from the data (names sorted) and keeps the base labels when the data uses them', async () => {
    const rows = ['what a lovely day', 'this is terrible', 'I am so happy for you', 'I hate waiting', 'great news', 'awful service', 'thanks a lot', 'never again', 'wonderful', 'dreadful'];
    const named = write('named.csv', `text,label\n${rows.map((t, i) => `${t},${i % 2 ? 'sour' : 'sweet'}`).join('\n')}\n`);
    const r = await cli('finetune', '--model', MODEL_DIR, '--data', named, '--out', join(work, 'sour-sweet'), '--epochs', '3', '--json', '--no-progress');
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.labels).toEqual(['sour', 'sweet']);
    expect(report.before.base).toBeNull();
    const own = write('own.csv', `text,label\n${rows.map((t, i) => `${t},${i % 2 ? 'anger' : '3'}`).join('\n')}\n`);
    const o = await cli('finetune', '--model', MODEL_DIR, '--data', own, '--out', join(work, 'own-labels'), '--epochs', '3', '--json', '--no-progress');
    const ownReport = JSON.parse(o.stdout);
    expect(ownReport.labels).toEqual(['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise']);
    expect(ownReport.before.base).not.toBeNull(); // same labels: the base head is scored too
    // same labels as the base model: the two bundles combine as an ensemble (serve --model A --model B)
    const ensemble = await cli('predict', '--model', MODEL_DIR, '--model', join(work, 'own-labels'), '--json', 'what a lovely day');
    expect(ensemble.stderr).toBe('');
    expect(Object.keys(JSON.parse(ensemble.stdout)[0].probabilities)).toHaveLength(7);
  }, 120_000);
});

describe.skipIf(!haveShared)('glassbox finetune: emotion-mini adapted to negative/positive/other on part of the dev split', () => {
  const data = join(work, 'dev-3label.tsv');
  const out = join(work, 'mini-3label');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let report: any;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'tools/finetune/three-label-task.mjs'), DEV, data, '1500']);
    const r = await cli('finetune', '--model', MODEL_DIR, '--data', data, '--out', out, '--labels', 'negative,positive,other', '--class-weights', 'auto', '--seed', '7', '--threads', '1', '--json', '--no-progress');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    report = JSON.parse(r.stdout);
  }, 120_000);

  it('reports per-epoch figures, beats the majority class on the held-out rows, and writes a complete bundle', () => {
    expect(report.labels).toEqual(['negative', 'positive', 'other']);
    expect(report.epochs.length).toBeGreaterThan(0);
    for (const e of report.epochs) expect(Object.keys(e.validation_f1)).toEqual(['negative', 'positive', 'other']);
    expect(report.held_out).toBe('test');
    expect(report.after.accuracy).toBeGreaterThan(report.before.majority.accuracy + 0.1);
    expect(report.after.macro_f1).toBeGreaterThan(report.before.majority.macro_f1 + 0.2);
    expect(report.before.base).toBeNull(); // the base head has other labels
    for (const f of ['model.onnx', 'config.json', 'tokenizer.json', 'MODEL_CARD.md', 'calibration.json', 'finetune-report.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive', 2: 'other' });
    expect(config.label2id).toEqual({ negative: 0, positive: 1, other: 2 });
    expect(readFileSync(join(out, 'tokenizer.json'))).toEqual(readFileSync(join(MODEL_DIR, 'tokenizer.json')));
    const card = readFileSync(join(out, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain(`sha256 \`${createHash('sha256').update(readFileSync(data)).digest('hex')}\``);
    expect(card).toContain('seed 7');
    expect(card).toContain('--class-weights auto');
    expect(card).toMatch(/majority class \(other\)/);
  });

  it('is reproducible: the same data and seed give the same head', async () => {
    const again = join(work, 'mini-3label-again');
    const r = await cli('finetune', '--model', MODEL_DIR, '--data', data, '--out', again, '--labels', 'negative,positive,other', '--class-weights', 'auto', '--seed', '7', '--threads', '1', '--json', '--no-progress');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).out.model_id).toBe(report.out.model_id);
  }, 120_000);

  it('predicts, explains (attention rollout) and evaluates with the new labels, and its calibration file loads', async () => {
    const p = await cli('predict', '--model', out, '--calibration', join(out, 'calibration.json'), '--json', 'I love this so much', 'this is disgusting');
    expect(p.stderr).toBe('');
    const predictions = JSON.parse(p.stdout);
    expect(Object.keys(predictions[0].probabilities).sort()).toEqual(['negative', 'other', 'positive']);
    expect(predictions.map((x: { label: string }) => x.label)).toEqual(['positive', 'negative']);
    const x = await cli('explain', '--model', out, '--method', 'rollout', '--json', 'I love this so much');
    expect(x.stderr).toBe('');
    const explanation = JSON.parse(x.stdout);
    expect(explanation.label).toBe('positive');
    expect(Object.keys(explanation.probabilities)).toEqual(['negative', 'positive', 'other']);
    const c = await cli('calibrate', '--model', out, '--data', data, '--rows', '1:400', '--out', join(work, 'cal.json'), '--json');
    expect(c.code).toBe(0);
    const e = await cli('evaluate', '--model', out, '--data', data, '--calibration', join(out, 'calibration.json'), '--json');
    expect(e.code).toBe(0);
    expect(Object.keys(JSON.parse(e.stdout).per_class)).toEqual(['negative', 'positive', 'other']);
  }, 120_000);

  it('serves the new labels on the glassbox, Hugging Face and TEI routes', async () => {
    const server: ApiServer = await createApiServer({ modelDir: out, workers: 1, calibrationPath: join(out, 'calibration.json') });
    try {
      const { port } = await server.listen(0, '127.0.0.1');
      const post = async (path: string, body: unknown) =>
        (await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
      expect(server.modelName).toBe('mini-3label');
      type Scores = Array<{ label: string; score: number }>;
      const v1 = (await post('/v1/predict', { inputs: ['I love this so much'] })) as { predictions: Array<{ label: string }> };
      expect(v1.predictions[0].label).toBe('positive');
      const hf = (await post(`/models/${server.modelName}`, { inputs: 'I love this so much' })) as Scores[];
      expect(hf[0][0].label).toBe('positive');
      expect(hf[0].map((s) => s.label).sort()).toEqual(['negative', 'other', 'positive']);
      const tei = (await post('/predict', { inputs: 'this is disgusting' })) as Scores;
      expect(tei[0].label).toBe('negative');
      expect(tei.map((s) => s.label).sort()).toEqual(['negative', 'other', 'positive']);
      const info = (await (await fetch(`http://127.0.0.1:${port}/info`)).json()) as { id2label: Record<string, string> };
      expect(info.id2label).toEqual({ 0: 'negative', 1: 'positive', 2: 'other' });
    } finally {
      await server.close();
    }
  }, 120_000);
});

if (!haveShared) {
  describe('glassbox finetune on the dev split', () => {
    it.skip(`skipped: ${DEV} is absent (the GoEmotions data lives in ../shared beside the repository)`, () => undefined);
  });
}
