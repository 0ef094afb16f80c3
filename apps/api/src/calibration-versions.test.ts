import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCalibration } from '@glassbox/calibration';
import { computeModelId, computeTokenizerId } from '@glassbox/core';
import { CalibrationVersionSchema, CalibrationVersionsResponseSchema } from './routes/calibration-routes.js';
import { LABELS, MODEL_DIR, startTestServer, sum, type TestServer } from './test-server.js';

/** Thirty labeled emotion sentences (label by name, a few by id). */
const ROWS: Array<{ text: string; label: string | number }> = [
  { text: 'I am furious with you', label: 'anger' },
  { text: 'this makes me so angry I could scream', label: 'anger' },
  { text: 'stop lying to me, I am livid', label: 'anger' },
  { text: 'how dare they treat us like this', label: 0 },
  { text: 'that is disgusting, gross', label: 'disgust' },
  { text: 'the smell made me want to throw up', label: 'disgust' },
  { text: 'what a revolting thing to do', label: 'disgust' },
  { text: 'the food was rotten and full of worms', label: 1 },
  { text: 'I am terrified of the dark', label: 'fear' },
  { text: 'I am scared something bad will happen', label: 'fear' },
  { text: 'that noise frightened me', label: 'fear' },
  { text: 'my hands are shaking, I am so afraid', label: 2 },
  { text: 'I am so happy today', label: 'joy' },
  { text: 'this is wonderful, I love it', label: 'joy' },
  { text: 'thank you so much, great news', label: 'joy' },
  { text: 'we won the game, what a great day', label: 3 },
  { text: 'the meeting is at three', label: 'neutral' },
  { text: 'I bought bread at the store', label: 'neutral' },
  { text: 'the report has four pages', label: 'neutral' },
  { text: 'the train leaves from platform two', label: 4 },
  { text: 'I miss her so much', label: 'sadness' },
  { text: 'I cried all night, I feel so alone', label: 'sadness' },
  { text: 'my dog died yesterday', label: 'sadness' },
  { text: 'nothing matters anymore, I feel empty', label: 5 },
  { text: 'wow, I did not expect that at all', label: 'surprise' },
  { text: 'what? really? no way!', label: 'surprise' },
  { text: 'I am shocked, that came out of nowhere', label: 'surprise' },
  { text: 'oh my god, you are here!', label: 6 },
  { text: 'I am so glad you came', label: 'joy' },
  { text: 'this is unbearable, I am so upset', label: 'sadness' },
];
const KEY = 'secret-key';
const AUTH = { authorization: `Bearer ${KEY}` };
const PROBE = ['hmm, ok', 'I am so happy today'];

let dir: string;
let t: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glassbox-calversions-'));
  t = await startTestServer({ apiKey: KEY, calibrationDir: join(dir, 'versions') });
});

afterAll(async () => {
  await t?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('calibration versions on a server started without one', () => {
  it('starts with no versions and no active calibration', async () => {
    const list = await t.get('/v1/calibration/versions');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ active: null, versions: [] });
    const active = await t.get('/v1/calibration');
    expect(active.status).toBe(404);
    expect(active.body.error_type).toBe('CALIBRATION_NOT_CONFIGURED');
  });

  it('fit and select are admin routes', async () => {
    const fit = await t.post('/v1/calibration/fit', { rows: ROWS });
    expect(fit.status).toBe(401);
    expect(fit.body.error_type).toBe('UNAUTHORIZED');
    const wrong = await t.post('/v1/calibration/fit', { rows: ROWS }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const select = await t.post('/v1/calibration/select', { version: 'v1' });
    expect(select.status).toBe(401);
  });

  it('refuses bad bodies, unknown labels and too few rows', async () => {
    const unknown = await t.post('/v1/calibration/fit', { rows: ROWS.map((r, i) => (i === 3 ? { ...r, label: 'boredom' } : i === 5 ? { ...r, label: 9 } : r)) }, AUTH);
    expect(unknown.status).toBe(422);
    expect(unknown.body.error_type).toBe('UNKNOWN_CALIBRATION_LABEL');
    expect(unknown.body.error).toContain('"boredom"');
    expect(unknown.body.error).toContain('rows[5].label 9');
    for (const label of LABELS) expect(unknown.body.error).toContain(label);

    const few = await t.post('/v1/calibration/fit', { rows: ROWS.slice(0, 19) }, AUTH);
    expect(few.status).toBe(422);
    expect(few.body.error_type).toBe('TOO_FEW_CALIBRATION_ROWS');

    for (const body of [{}, { rows: ROWS, method: 'magic' }, { rows: ROWS, conformal_alpha: 1.5 }, { rows: [{ text: '', label: 'joy' }] }, { rows: ROWS, extra: 1 }]) {
      const res = await t.post('/v1/calibration/fit', body, AUTH);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(Object.keys(res.body).sort()).toEqual(['error', 'error_type']);
    }
    const conformal = await t.post('/v1/calibration/fit', { rows: ROWS, conformal_alpha: 0.01 }, AUTH);
    expect(conformal.status).toBe(422);
    expect(conformal.body.error_type).toBe('TOO_FEW_CALIBRATION_ROWS');
    expect((await t.get('/v1/calibration/versions')).body.versions).toEqual([]);
  });

  it('fits new versions without activating them, and lists them', async () => {
    const before = await t.post('/v1/predict', { inputs: PROBE });
    expect(before.body.calibrated).toBe(false);

    const v1 = await t.post('/v1/calibration/fit', { rows: ROWS }, AUTH);
    expect(v1.status).toBe(200);
    const s1 = CalibrationVersionSchema.parse(v1.body);
    expect(s1).toMatchObject({ id: 'v1', method: 'temperature', n: ROWS.length, active: false, conformal: null, certificate: null });
    expect(s1.metrics?.after.nll).toBeLessThanOrEqual((s1.metrics?.before.nll ?? 0) + 1e-9);

    const v2 = await t.post('/v1/calibration/fit', { rows: ROWS, method: 'vector', conformal_alpha: 0.2, abstain_risk: 0.5 }, AUTH);
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ id: 'v2', method: 'vector', active: false, conformal: { method: 'lac', alpha: 0.2 } });
    expect(v2.body.certificate).not.toBeNull();

    const list = CalibrationVersionsResponseSchema.parse((await t.get('/v1/calibration/versions')).body);
    expect(list.active).toBeNull();
    expect(list.versions.map((v) => [v.id, v.method, v.active])).toEqual([
      ['v1', 'temperature', false],
      ['v2', 'vector', false],
    ]);
    // Still not calibrated: fitting does not activate.
    expect((await t.post('/v1/predict', { inputs: PROBE })).body.calibrated).toBe(false);

    const shown = await t.get('/v1/calibration?version=v2');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ version: 'v2', active: false, method: 'vector', fitted_on: { count: ROWS.length } });
    expect(shown.body.model.labels).toEqual(LABELS);
    // 30 rows make folds of 6, fewer than the 10 cross-fitting needs: no held-out figures, rather than noisy ones.
    expect(shown.body.metrics.held_out).toBeUndefined();
    expect(list.versions[1].metrics).not.toHaveProperty('held_out');
    // Tied to the served graph and its tokenizer.json.
    const bundle = { modelPath: join(MODEL_DIR, 'model.onnx'), tokenizerPath: join(MODEL_DIR, 'tokenizer.json') };
    expect(shown.body.model).toMatchObject({ id: await computeModelId(bundle), tokenizer: await computeTokenizerId(bundle) });

    // Written to calibrationDir as valid calibration files.
    const files = (await readdir(join(dir, 'versions'))).sort();
    expect(files).toEqual(['calibration-v1.json', 'calibration-v2.json']);
    const parsed = parseCalibration(await readFile(join(dir, 'versions', 'calibration-v2.json'), 'utf8'));
    expect(parsed.calibration.method).toBe('vector');
    expect(parsed.fitted_on.sha256).toBe(shown.body.fitted_on.sha256);
  });

  it('select switches what /v1/predict and /v1/calibration serve', async () => {
    const raw = (await t.post('/v1/predict', { inputs: PROBE })).body;

    const sel1 = await t.post('/v1/calibration/select', { version: 'v1' }, AUTH);
    expect(sel1.status).toBe(200);
    expect(sel1.body).toMatchObject({ id: 'v1', active: true });
    const p1 = (await t.post('/v1/predict', { inputs: PROBE })).body;
    expect(p1.calibrated).toBe(true);
    expect(p1.predictions[0].raw.probabilities).toEqual(raw.predictions[0].probabilities);
    expect(p1.predictions[0].probabilities).not.toEqual(raw.predictions[0].probabilities);
    expect(sum(p1.predictions[0].probabilities)).toBeCloseTo(1, 5);
    const c1 = (await t.get('/v1/calibration')).body;
    expect(c1).toMatchObject({ version: 'v1', active: true, method: 'temperature' });
    expect((await t.get(`/v1/predictions/${p1.predictions[0].id}`, AUTH)).body.calibration_id).toBe(`${c1.method}:${c1.fitted_on.sha256}`);

    const sel2 = await t.post('/v1/calibration/select', { version: 'v2' }, AUTH);
    expect(sel2.status).toBe(200);
    const p2 = (await t.post('/v1/predict', { inputs: PROBE })).body;
    expect(p2.predictions[0].probabilities).not.toEqual(p1.predictions[0].probabilities);
    expect(p2.predictions[0].conformal_set).toBeDefined(); // v2 has a conformal threshold
    expect(p1.predictions[0].conformal_set).toBeUndefined();
    const c2 = (await t.get('/v1/calibration')).body;
    expect(c2).toMatchObject({ version: 'v2', active: true, method: 'vector' });
    expect((await t.get(`/v1/predictions/${p2.predictions[0].id}`, AUTH)).body.calibration_id).toBe(`${c2.method}:${c2.fitted_on.sha256}`);

    // Metrics follow the switch: each prediction counted under the calibration it was served with.
    const metrics = (await t.get('/metrics')).text;
    const counted = (id: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith('glassbox_predictions_total{') && line.includes(`calibration_id="${id}"`))
        .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(counted(`${c1.method}:${c1.fitted_on.sha256}`)).toBe(PROBE.length);
    expect(counted(`${c2.method}:${c2.fitted_on.sha256}`)).toBe(PROBE.length);

    const list = (await t.get('/v1/calibration/versions')).body;
    expect(list.active).toBe('v2');
    expect(list.versions.map((v: { active: boolean }) => v.active)).toEqual([false, true]);
  });

  it('fit with activate: true makes the new version active; unknown versions are 404', async () => {
    const v3 = await t.post('/v1/calibration/fit', { rows: ROWS, method: 'platt', activate: true }, AUTH);
    expect(v3.status).toBe(200);
    expect(v3.body).toMatchObject({ id: 'v3', active: true });
    expect((await t.get('/v1/calibration')).body.version).toBe('v3');
    expect((await t.get('/v1/calibration/versions')).body.versions).toHaveLength(3);

    const missing = await t.post('/v1/calibration/select', { version: 'v9' }, AUTH);
    expect(missing.status).toBe(404);
    expect(missing.body.error_type).toBe('CALIBRATION_VERSION_NOT_FOUND');
    expect(missing.body.error).toContain('v1, v2, v3');
    const shown = await t.get('/v1/calibration?version=v9');
    expect(shown.status).toBe(404);
    expect(shown.body.error_type).toBe('CALIBRATION_VERSION_NOT_FOUND');
    expect((await t.get('/v1/calibration')).body.version).toBe('v3'); // unchanged
  });
});
