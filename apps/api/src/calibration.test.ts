import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, softmaxRows } from '@glassbox/core';
import {
  calibrationId,
  computeMetricSet,
  createCalibrator,
  fitCalibration,
  fitLac,
  hashFittingRows,
  serializeCalibration,
  type CalibrationFile,
} from '@glassbox/calibration';
import { buildReferenceProfile, openStateStore } from '@glassbox/monitor';
import { createApiServer } from './api-server.js';
import { PredictResponseSchema } from './routes/glassbox-routes.js';
import { LABELS, MODEL_DIR, startTestServer, sum, type TestServer } from './test-server.js';

/** A few labeled texts, three per label. */
const LABELED: Array<[string, string]> = [
  ['I am furious with you', 'anger'],
  ['this makes me so angry I could scream', 'anger'],
  ['stop lying to me, I am livid', 'anger'],
  ['that is disgusting, gross', 'disgust'],
  ['the smell made me want to throw up', 'disgust'],
  ['what a revolting thing to do', 'disgust'],
  ['I am terrified of the dark', 'fear'],
  ['I am scared something bad will happen', 'fear'],
  ['that noise frightened me', 'fear'],
  ['I am so happy today', 'joy'],
  ['this is wonderful, I love it', 'joy'],
  ['thank you so much, great news', 'joy'],
  ['the meeting is at three', 'neutral'],
  ['I bought bread at the store', 'neutral'],
  ['the report has four pages', 'neutral'],
  ['I miss her so much', 'sadness'],
  ['I cried all night, I feel so alone', 'sadness'],
  ['my dog died yesterday', 'sadness'],
  ['wow, I did not expect that at all', 'surprise'],
  ['what? really? no way!', 'surprise'],
  ['I am shocked, that came out of nowhere', 'surprise'],
];
const TEXTS = ['I am so happy today', 'this is awful, I hate it', 'hmm, ok'];

let dir: string;
let calibrationPath: string;
let file: CalibrationFile;
let expected: Float32Array;
let t: TestServer;

beforeAll(async () => {
  const engine = await createInferenceEngine(MODEL_DIR, { workers: 0, intraOpThreads: 1 });
  try {
    const k = engine.labels.length;
    const predictions = await engine.classify(LABELED.map(([text]) => text));
    const logits = Float32Array.from(predictions.flatMap((p) => p.logits));
    const gold = LABELED.map(([, label]) => engine.labels.indexOf(label));
    const fitted = fitCalibration('temperature', logits, gold, k);
    const rowsHash = hashFittingRows(logits, gold);
    const calibrator = createCalibrator(fitted, rowsHash);
    const calibrated = calibrator.calibrate(logits, k);
    const lac = fitLac(calibrated, gold, k, { alpha: 0.2 });
    file = {
      format: 'glassbox-calibration',
      version: 1,
      model: { id: await engine.modelId(), name: engine.bundle.name, labels: [...engine.labels] },
      calibration: fitted,
      fitted_on: { count: gold.length, sha256: rowsHash },
      metrics: { before: computeMetricSet(softmaxRows(logits, k), gold, k), after: computeMetricSet(calibrated, gold, k) },
      conformal: { method: 'lac', alpha: lac.alpha, qhat: lac.qhat },
      created_at: new Date().toISOString(),
    };
    const testLogits = Float32Array.from((await engine.classify(TEXTS)).flatMap((p) => p.logits));
    expected = calibrator.calibrate(testLogits, k);
  } finally {
    await engine.dispose();
  }
  dir = await mkdtemp(join(tmpdir(), 'glassbox-api-'));
  calibrationPath = join(dir, 'calibration.json');
  await writeFile(calibrationPath, serializeCalibration(file));
  t = await startTestServer({ calibrationPath, abstain: 'max-probability:0.9' });
});

afterAll(async () => {
  await t?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a server with a calibration', () => {
  it('GET /v1/calibration shows the method, params, metrics and conformal threshold', async () => {
    const res = await t.get('/v1/calibration');
    expect(res.status).toBe(200);
    expect(res.body.method).toBe('temperature');
    expect(res.body.params.temperature).toBeCloseTo(file.calibration.params.temperature as number, 12);
    expect(res.body.metrics.before.ece).toBeCloseTo(file.metrics?.before.ece ?? NaN, 12);
    expect(res.body.metrics.after.nll).toBeCloseTo(file.metrics?.after.nll ?? NaN, 12);
    expect(res.body.conformal).toEqual(file.conformal);
    expect(res.body.certificate).toBeNull();
    expect(res.body.model.labels).toEqual(LABELS);
    expect(res.body).toMatchObject({ version: 'v1', active: true });
  });

  it('the configured calibration file is version v1, active', async () => {
    const res = await t.get('/v1/calibration/versions');
    expect(res.status).toBe(200);
    expect(res.body.active).toBe('v1');
    expect(res.body.versions).toHaveLength(1);
    expect(res.body.versions[0]).toMatchObject({ id: 'v1', method: 'temperature', n: LABELED.length, sha256: file.fitted_on.sha256, active: true });
  });

  it('serves calibrated probabilities by default, with the raw view, abstention and conformal sets', async () => {
    const res = await t.post('/v1/predict', { inputs: TEXTS });
    expect(res.status).toBe(200);
    const body = PredictResponseSchema.parse(res.body);
    expect(body.calibrated).toBe(true);
    body.predictions.forEach((p, i) => {
      expect(sum(p.probabilities)).toBeCloseTo(1, 5);
      LABELS.forEach((label, j) => expect(p.probabilities[label]).toBeCloseTo(expected[i * 7 + j], 6));
      expect(p.raw).toBeDefined();
      expect(sum(p.raw?.probabilities ?? {})).toBeCloseTo(1, 6);
      expect(p.abstained).toBe(p.score < 0.9);
      if (p.abstained) expect(p.abstention_reason).toMatch(/^max probability .* < 0\.90/);
      else expect(p.abstention_reason).toBeNull();
      expect(p.conformal_set).toEqual(LABELS.filter((l) => 1 - p.probabilities[l] <= (file.conformal?.qhat ?? 0)).sort((a, b) => p.probabilities[b] - p.probabilities[a]));
    });
    expect(body.predictions.some((p) => p.abstained)).toBe(true);
  });

  it('serves raw probabilities with calibrated: false', async () => {
    const res = await t.post('/v1/predict', { inputs: TEXTS, calibrated: false });
    const calibrated = await t.post('/v1/predict', { inputs: TEXTS });
    const body = PredictResponseSchema.parse(res.body);
    expect(body.calibrated).toBe(false);
    body.predictions.forEach((p, i) => {
      expect(p.raw).toBeUndefined();
      expect(p.conformal_set).toBeUndefined();
      expect(p.probabilities).toEqual(calibrated.body.predictions[i].raw.probabilities);
    });
  });

  it('the compatible routes serve calibrated probabilities too', async () => {
    const hf = await t.post('/models/emotion-mini', { inputs: TEXTS[0] });
    const byLabel = Object.fromEntries(hf.body[0].map((s: { label: string; score: number }) => [s.label, s.score]));
    LABELS.forEach((label, j) => expect(byLabel[label]).toBeCloseTo(expected[j], 6));
    const v2 = await t.post('/v2/models/emotion-mini/infer', { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [TEXTS[0]] }] });
    (v2.body.outputs[0].data as number[]).forEach((p, j) => expect(p).toBeCloseTo(expected[j], 6));
  });
});

describe('a calibrated server with a drift monitor', () => {
  it('observes every prediction in the calibrated view, audits the calibration id and labels abstentions', async () => {
    const served = await t.post('/v1/predict', { inputs: LABELED.map(([text]) => text) });
    const modelId = (await t.get(`/v1/predictions/${served.body.predictions[0].id}`)).body.model_id;
    const referencePath = join(dir, 'calibrated-reference.json');
    await writeFile(referencePath, JSON.stringify(buildReferenceProfile(served.body.predictions, LABELS, modelId)));
    const m = await startTestServer({ calibrationPath, abstain: 'max-probability:0.9', referencePath, log: { write: () => true } });
    try {
      const raw = await m.post('/v1/predict', { inputs: TEXTS[2], calibrated: false });
      const calibrated = await m.post('/v1/predict', { inputs: TEXTS[2] });
      const [r, c] = [raw.body.predictions[0], calibrated.body.predictions[0]];
      expect(r.score).not.toBeCloseTo(c.score, 3);
      expect(c.abstained).toBe(true);
      expect((await m.get(`/v1/predictions/${r.id}`)).body).toMatchObject({ calibrated: false, calibration_id: null });
      expect((await m.get(`/v1/predictions/${c.id}`)).body).toMatchObject({ calibrated: true, calibration_id: calibrationId(file) });

      const metrics = (await m.get('/metrics')).text;
      const line = metrics.split('\n').find((l) => l.startsWith('glassbox_prediction_confidence_sum{')) ?? '';
      expect(line).toContain(`calibration_id="${calibrationId(file)}"`);
      expect(Number(line.slice(line.lastIndexOf(' ') + 1))).toBeCloseTo(2 * c.score, 6); // both in the calibrated view
      expect(metrics).toMatch(/^glassbox_abstentions_total\{.*reason="max-probability".*\} 2$/m);
      const status = (await m.get('/v1/monitor')).body;
      expect(status).toMatchObject({ observed: 2, calibration_id: calibrationId(file) });
      expect(status.estimated_accuracy).toBeCloseTo(c.score, 6);
    } finally {
      await m.server.close();
    }
  });
});

describe('refused calibrations', () => {
  it('a calibration fitted for another model fails at construction', async () => {
    const other = join(dir, 'other-model.json');
    await writeFile(other, serializeCalibration({ ...file, model: { ...file.model, id: `sha256:${'0'.repeat(64)}` } }));
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, calibrationPath: other })).rejects.toMatchObject({
      code: 'CALIBRATION_MODEL_MISMATCH',
    });
  });

  it('a calibration fitted with another tokenizer.json fails at construction, naming both hashes', async () => {
    const other = join(dir, 'other-tokenizer.json');
    const fittedWith = `sha256:${'0'.repeat(64)}`;
    await writeFile(other, serializeCalibration({ ...file, model: { ...file.model, tokenizer: fittedWith } }));
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, calibrationPath: other })).rejects.toMatchObject({
      code: 'CALIBRATION_MODEL_MISMATCH',
      message: expect.stringMatching(new RegExp(`fitted with tokenizer ${fittedWith} but this model's tokenizer\\.json is sha256:[0-9a-f]{64}`)),
    });
  });

  it('a stored calibration version fitted with another tokenizer.json is refused at start, not served', async () => {
    const statePath = join(dir, 'other-tokenizer-state.db');
    const fittedWith = `sha256:${'1'.repeat(64)}`;
    const store = openStateStore({ path: statePath });
    store.saveCalibration(file.model.id, 'v1', { ...file, model: { ...file.model, tokenizer: fittedWith } });
    store.setActiveCalibration(file.model.id, 'v1');
    store.close();
    const errors: unknown[] = [];
    const m = await startTestServer({ workers: 0, statePath, onError: (e) => errors.push(e) });
    try {
      expect((await m.get('/v1/calibration/versions')).body.versions).toEqual([]);
      expect((await m.get('/v1/calibration')).status).toBe(404);
      expect(errors).toContainEqual(
        expect.objectContaining({ code: 'CALIBRATION_MODEL_MISMATCH', message: expect.stringContaining(`stored calibration v1 was fitted with tokenizer ${fittedWith}`) }),
      );
    } finally {
      await m.server.close();
    }
  });

  it('a calibration without a tokenizer hash (an older file) is used, with one warning line in the log', async () => {
    const lines: string[] = [];
    const m = await startTestServer({ workers: 0, calibrationPath, log: { write: (l: string) => lines.push(l) } });
    try {
      expect((await m.get('/v1/calibration')).body.fitted_on.sha256).toBe(file.fitted_on.sha256);
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'glassbox.calibration.untied_tokenizer');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 'warn', msg: expect.stringMatching(/records no tokenizer hash.*regenerate it with `glassbox calibrate`/) });
    } finally {
      await m.server.close();
    }
  });

  it('abstain "certified" needs a certificate', async () => {
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, calibrationPath, abstain: 'certified' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});
