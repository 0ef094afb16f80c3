import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReferenceProfile, type ReferenceProfile } from '@glassbox/monitor';
import type { ApiMeter } from './api-options.js';
import { createApiServer } from './api-server.js';
import { LABELS, MODEL_DIR, startTestServer, type TestResponse, type TestServer } from './test-server.js';

/** 15 texts per label, interleaved by label so any stretch of them is a fair sample. */
const PHRASES: Record<string, string[]> = {
  anger: ['I am furious with you', 'this makes me so angry', 'stop lying to me, I am livid', 'I hate how rude they were', 'I am so mad I could scream'],
  disgust: ['that is disgusting, gross', 'the smell made me want to throw up', 'what a revolting thing to do', 'the food was rotten and vile', 'that is nasty, yuck'],
  fear: ['I am terrified of the dark', 'I am scared something bad will happen', 'that noise frightened me', 'I am afraid to go outside', 'I panic when I think about it'],
  joy: ['I am so happy today', 'this is wonderful, I love it', 'thank you so much, great news', 'what a lovely day, I feel great', 'I am thrilled and delighted'],
  neutral: ['the meeting is at three', 'I bought bread at the store', 'the report has four pages', 'the train leaves at noon', 'we moved the chairs to the hall'],
  sadness: ['I miss her so much', 'I cried all night, I feel so alone', 'my dog died yesterday', 'I feel empty and hopeless', 'nobody came to my birthday'],
  surprise: ['wow, I did not expect that at all', 'what? really? no way!', 'I am shocked, that came out of nowhere', 'I cannot believe it happened', 'oh my, what a surprise'],
};
const PREFIXES = ['', 'Honestly, ', 'Today '];
const REFERENCE_TEXTS: string[] = [];
for (const prefix of PREFIXES) {
  for (let i = 0; i < 5; i++) for (const label of LABELS) REFERENCE_TEXTS.push(prefix + PHRASES[label][i]);
}
const ANGRY = 'I am furious, this makes me so angry!';
const WINDOW = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectError(res: TestResponse, status: number, errorType: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: expect.any(String), error_type: errorType });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** Value of the first sample of `name` whose labels include every `labels` entry (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

function sumSamples(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

let dir: string;
let referencePath: string;
let profile: ReferenceProfile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glassbox-api-monitor-'));
  // The reference: this model's probabilities on the texts above, from an unmonitored server.
  const plain = await startTestServer();
  try {
    const predictions: Array<{ id: string; probabilities: Record<string, number> }> = [];
    for (const batch of chunks(REFERENCE_TEXTS, 50)) {
      const res = await plain.post('/v1/predict', { inputs: batch });
      expect(res.status).toBe(200);
      predictions.push(...res.body.predictions);
    }
    const audited = await plain.get(`/v1/predictions/${predictions[0].id}`);
    expect(audited.body.model_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    profile = buildReferenceProfile(predictions, LABELS, audited.body.model_id);
  } finally {
    await plain.server.close();
  }
  referencePath = join(dir, 'reference.json');
  await writeFile(referencePath, JSON.stringify(profile));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a server with a reference profile', () => {
  let t: TestServer;
  const logLines: string[] = [];
  const errors: unknown[] = [];
  const predictIds: string[] = [];

  beforeAll(async () => {
    t = await startTestServer({
      referencePath,
      monitorWindow: WINDOW,
      expectedRunLength: 200_000,
      storeText: true,
      log: { write: (line: string) => logLines.push(line) },
      onError: (e) => errors.push(e),
    });
    // The reference holds no thresholds for this window: they are calibrated at start, and said so.
    // Without an API key the server says so once, at listen; the drift lines come after it.
    expect(logLines.map((l) => JSON.parse(l).event)).toEqual(['glassbox.drift.calibrated', 'glassbox.security.no_api_key']);
    expect(JSON.parse(logLines[0])).toMatchObject({ level: 'info', tests: 11, simulated_predictions: expect.any(Number) });
    logLines.length = 0;
  }, 120_000); // the run-length calibration at start: seconds

  afterAll(async () => {
    await t?.server.close();
  });

  const predict = async (inputs: string | string[]) => {
    const res = await t.post('/v1/predict', { inputs });
    expect(res.status).toBe(200);
    predictIds.push(...res.body.predictions.map((p: { id: string }) => p.id));
    return res;
  };

  it('observes the predictions of every route, with no alarm on reference-like traffic', async () => {
    const before = await t.get('/v1/monitor');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ observed: 0, window: 0, window_size: WINDOW, estimated_accuracy: null, realized_accuracy: null, alarms: [] });
    // The alarm level: the configured run length, the minimum sample size and the thresholds.
    expect(before.body).toMatchObject({ min_samples: 30, run_length: { expected_run_length: 200_000, window: WINDOW, tests: 11, cached: false } });
    expect(before.body.run_length.thresholds.labels['chi-square']).toBeGreaterThan(0);
    expect(before.body.model_id).toBe(profile.model.id);
    expect(before.body.reference.n).toBe(REFERENCE_TEXTS.length);

    const [a, b, c, d] = chunks(REFERENCE_TEXTS, 27);
    await predict(a);
    expect((await t.get('/v1/monitor')).body.observed).toBe(a.length);
    expect((await t.post('/models/emotion-mini', { inputs: b })).status).toBe(200);
    expect((await t.get('/v1/monitor')).body.observed).toBe(a.length + b.length);
    expect((await t.post('/predict', { inputs: c.map((text) => [text]) })).status).toBe(200);
    expect((await t.get('/v1/monitor')).body.observed).toBe(a.length + b.length + c.length);
    const oip = await t.post('/v2/models/emotion-mini/infer', { inputs: [{ name: 'text', shape: [d.length], datatype: 'BYTES', data: d }] });
    expect(oip.status).toBe(200);

    const status = (await t.get('/v1/monitor')).body;
    expect(status.observed).toBe(REFERENCE_TEXTS.length);
    expect(status.window).toBe(REFERENCE_TEXTS.length);
    expect(Object.keys(status.signals)).toEqual(['confidence', 'margin', 'entropy', 'labels']);
    for (const signal of Object.values(status.signals) as Array<{ psi: number; alarm: boolean; decisions: unknown[] }>) {
      expect(signal.psi).toBeLessThan(0.05); // the reference texts again
      expect(signal.alarm).toBe(false);
      expect(signal.decisions.length).toBeGreaterThan(0);
    }
    expect(status.estimated_accuracy).toBeCloseTo(profile.mean_confidence, 3);
    expect(status.alarms).toEqual([]);
    expect((await t.get('/v1/monitor/history')).body).toEqual({ alarms: [] });
    expect(logLines).toEqual([]);

    // Bucket boundaries and counts per signal; labels keyed by label.
    expect(status.signals.confidence.buckets).toEqual(profile.buckets.confidence);
    expect(status.signals.confidence.reference_counts).toEqual(profile.counts.confidence);
    expect(status.signals.entropy.window_counts).toHaveLength(profile.buckets.entropy.length + 1);
    expect(status.signals.margin.window_counts.reduce((x: number, y: number) => x + y, 0)).toBe(REFERENCE_TEXTS.length);
    expect(status.signals.labels.buckets).toEqual([]);
    expect(Object.keys(status.signals.labels.reference_counts)).toEqual(profile.model.labels);
    expect(Object.values(status.signals.labels.window_counts).reduce((x, y) => (x as number) + (y as number), 0)).toBe(REFERENCE_TEXTS.length);

    // The series: a point per 20 predictions or /v1/monitor call (at most one a second), oldest first.
    const { points } = (await t.get('/v1/monitor/series')).body as { points: Array<Record<string, never>> };
    expect(points.length).toBeGreaterThan(0);
    const last = points.at(-1) as unknown as { observed: number; psi: Record<string, number>; js: Record<string, number>; label_shares: Record<string, number> };
    expect(Object.keys(last.psi)).toEqual(['confidence', 'margin', 'entropy', 'labels']);
    expect(Object.keys(last.js)).toEqual(['confidence', 'margin', 'entropy', 'labels']);
    expect(Object.keys(last.label_shares)).toEqual(profile.model.labels);
    expect(Object.values(last.label_shares).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
    const observed = points.map((p) => (p as unknown as { observed: number }).observed);
    expect(observed).toEqual([...observed].sort((x, y) => x - y));
    // Every 20 predictions a point is taken; /v1/monitor adds at most one a second.
    expect(observed.at(-1)).toBeGreaterThanOrEqual(Math.floor(REFERENCE_TEXTS.length / 20) * 20);
    expect(observed.at(-1)).toBeLessThanOrEqual(REFERENCE_TEXTS.length);
  });

  it('GET /metrics is the Prometheus text exposition with the drift histograms and counters', async () => {
    const res = await t.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/^glassbox_prediction_confidence_bucket\{.*le="0\.5".*\} \d+$/m);
    expect(res.text).toMatch(/^glassbox_prediction_confidence_bucket\{.*le="\+Inf".*\} \d+$/m);
    expect(res.text).toMatch(/^glassbox_predictions_total\{.*label="joy".*\} \d+$/m);
    expect(sumSamples(res.text, 'glassbox_predictions_total')).toBe(REFERENCE_TEXTS.length);
    expect(sample(res.text, 'glassbox_prediction_confidence_count')).toBe(REFERENCE_TEXTS.length);
    expect(res.text).toMatch(/^glassbox_inference_duration\w*_bucket\{.*le="/m);
    expect(res.text).toContain(`model_id="${profile.model.id}"`);
    expect(sample(res.text, 'glassbox_drift_window_size')).toBe(REFERENCE_TEXTS.length);
    expect(res.text).not.toMatch(/request_id|text="/);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  it.skipIf(!promtool)('GET /metrics passes `promtool check metrics`', async () => {
    const { text } = await t.get('/metrics');
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
      child.stdin.end(text);
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
  if (!promtool) it.skip('promtool is not installed: skipping `promtool check metrics` on GET /metrics', () => undefined);

  it('one repeated angry text raises drift alarms: /v1/monitor, /v1/monitor/history, a log line', async () => {
    await predict(Array.from({ length: 20 }, () => ANGRY));
    for (let i = 0; i < 20; i++) await predict(ANGRY);
    expect((await t.post('/predict', { inputs: Array.from({ length: 30 }, () => [ANGRY]) })).status).toBe(200);
    expect((await t.post('/models/emotion-mini', { inputs: Array.from({ length: 10 }, () => ANGRY) })).status).toBe(200);

    const status = (await t.get('/v1/monitor')).body;
    const observed = REFERENCE_TEXTS.length + 80;
    expect(status.observed).toBe(observed);
    expect(status.window).toBe(Math.min(WINDOW, observed));
    expect(status.signals.labels.alarm).toBe(true);
    expect(status.alarms.length).toBeGreaterThan(0);
    expect(status.alarms).toContainEqual(expect.objectContaining({ signal: 'labels', statistic: 'chi-square', model_id: profile.model.id }));
    for (const a of status.alarms) {
      expect(a.value).toBeGreaterThan(a.threshold);
      expect(a.index).toBeGreaterThanOrEqual(REFERENCE_TEXTS.length);
      expect(Date.parse(a.time)).not.toBeNaN();
    }

    const history = (await t.get('/v1/monitor/history')).body.alarms;
    expect(history.length).toBeGreaterThanOrEqual(status.alarms.length);
    const indexes = history.map((a: { index: number }) => a.index);
    expect(indexes).toEqual([...indexes].sort((x, y) => y - x)); // newest first
    expect((await t.get('/v1/monitor/history?limit=1')).body.alarms).toEqual([history[0]]);
    expectError(await t.get('/v1/monitor/history?limit=0'), 400, 'INVALID_REQUEST');
    const labels = (await t.get('/v1/monitor/history?signal=labels')).body.alarms;
    expect(labels).toEqual(history.filter((a: { signal: string }) => a.signal === 'labels'));
    expect(labels.length).toBeGreaterThan(0);
    expect((await t.get('/v1/monitor/history?signal=labels&statistic=chi-square')).body.alarms).toEqual(
      history.filter((a: { signal: string; statistic: string }) => a.signal === 'labels' && a.statistic === 'chi-square'),
    );
    expect((await t.get(`/v1/monitor/history?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.alarms).toEqual([]);
    for (const query of ['signal=mood', 'statistic=t-test', 'since=soon']) {
      expectError(await t.get(`/v1/monitor/history?${query}`), 400, 'INVALID_REQUEST');
    }

    expect(logLines).toHaveLength(history.length);
    const logged = logLines.map((line) => {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.trim()).not.toContain('\n');
      return JSON.parse(line);
    });
    expect(logged[0]).toMatchObject({ level: 'warn', event: 'glassbox.drift.alarm', ...history[history.length - 1] });
    expect(logged.map((l) => l.index).reverse()).toEqual(indexes);

    const metrics = (await t.get('/metrics')).text;
    expect(sample(metrics, 'glassbox_drift_alarm', { signal: 'labels', statistic: 'chi-square' })).toBe(1);
    expect(sample(metrics, 'glassbox_predictions_total', { label: 'anger' })).toBeGreaterThanOrEqual(80);
    expect(errors).toEqual([]);
  });

  it('keeps each /v1/predict result in the audit trail, newest first, a page at a time', async () => {
    const first = await t.get('/v1/predictions');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ size: predictIds.length, audit_limit: 10_000, next_cursor: null });
    expect(first.body.predictions.map((p: { id: string }) => p.id)).toEqual([...predictIds].reverse().slice(0, 100));
    const [newest] = first.body.predictions;
    expect(newest).toEqual({
      id: predictIds[predictIds.length - 1],
      time: expect.any(String),
      model: 'emotion-mini',
      model_id: profile.model.id,
      calibration_id: null,
      calibrated: false,
      label: 'anger',
      score: expect.any(Number),
      probabilities: expect.any(Object),
      abstained: false,
      abstention_reason: null,
      truncated: false,
      tokens: expect.any(Number),
      text: ANGRY,
      feedback: null,
    });

    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: TestResponse = await t.get(`/v1/predictions?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.predictions.length).toBeLessThanOrEqual(7);
      paged.push(...res.body.predictions.map((p: { id: string }) => p.id));
      cursor = res.body.next_cursor;
      if (pages++ === 0) await predict('a prediction made between two pages does not shift them');
    } while (cursor !== null && pages < 100);
    expect(paged).toEqual([...predictIds].slice(0, -1).reverse());

    for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'cursor=abc', 'cursor=-1']) {
      expectError(await t.get(`/v1/predictions?${query}`), 400, 'INVALID_REQUEST');
    }
    expect((await t.get('/v1/predictions?limit=1000')).status).toBe(200);
  });

  it('filters the audit trail by label, abstention, feedback and time, and refuses bad filters', async () => {
    const all = (await t.get('/v1/predictions?limit=1000')).body.predictions as Array<{ id: string; label: string; time: string }>;
    const anger = (await t.get('/v1/predictions?limit=1000&label=anger')).body;
    expect(anger.predictions.map((p: { id: string }) => p.id)).toEqual(all.filter((p) => p.label === 'anger').map((p) => p.id));
    expect(anger.predictions.length).toBeGreaterThan(0);
    expect(anger.next_cursor).toBeNull();
    const twoAngry = (await t.get('/v1/predictions?limit=2&label=anger')).body;
    expect(twoAngry.predictions).toHaveLength(2);
    expect((await t.get(`/v1/predictions?limit=1000&label=anger&cursor=${twoAngry.next_cursor}`)).body.predictions).toEqual(anger.predictions.slice(2));
    expect((await t.get('/v1/predictions?abstained=true')).body.predictions).toEqual([]); // no abstention rule here
    expect((await t.get('/v1/predictions?feedback=true')).body.predictions).toEqual([]);
    const newest = all[0].time;
    const since = (await t.get(`/v1/predictions?limit=1000&since=${encodeURIComponent(newest)}`)).body.predictions;
    expect(since.map((p: { id: string }) => p.id)).toEqual(all.filter((p) => p.time >= newest).map((p) => p.id));
    expect((await t.get(`/v1/predictions?limit=1000&until=${encodeURIComponent(newest)}`)).body.predictions.length).toBe(all.length - since.length);
    expectError(await t.get('/v1/predictions?label=boredom'), 400, 'UNKNOWN_LABEL');
    for (const query of ['abstained=yes', 'since=yesterday', 'until=2026-13-01T00:00:00Z', 'correct=1']) {
      expectError(await t.get(`/v1/predictions?${query}`), 400, 'INVALID_REQUEST');
    }
  });

  it('GET /v1/predictions/:id returns one, 404 when unknown, and re-explains the stored text', async () => {
    const id = predictIds[0];
    const one = await t.get(`/v1/predictions/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, text: REFERENCE_TEXTS[0] });
    expect(one.body.explanation).toBeUndefined();
    expectError(await t.get('/v1/predictions/00000000-0000-4000-8000-000000000000'), 404, 'PREDICTION_NOT_FOUND');

    const explained = await t.get(`/v1/predictions/${id}?explain=true`);
    expect(explained.status).toBe(200);
    expect(explained.body.explanation).toMatchObject({ text: REFERENCE_TEXTS[0], label: one.body.label });
    expect(explained.body.explanation.words.length).toBeGreaterThan(0);
    expectError(await t.get(`/v1/predictions/${id}?explain=maybe`), 400, 'INVALID_REQUEST');
  });

  it('POST /v1/feedback attaches the true label and sets realized accuracy', async () => {
    expect((await t.get('/v1/monitor')).body).toMatchObject({ labelled: 0, realized_accuracy: null, accuracy_gap: null });
    const newest = (await t.get('/v1/predictions?limit=2')).body.predictions as Array<{ id: string; label: string; score: number }>;
    const [right, wrong] = newest;
    const ok = await t.post('/v1/feedback', { id: right.id, label: right.label });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ id: right.id, label: right.label, predicted: right.label, correct: true, monitored: true });
    const otherLabel = LABELS.find((l) => l !== wrong.label) as string;
    const bad = await t.post('/v1/feedback', { id: wrong.id, label: otherLabel });
    expect(bad.body).toMatchObject({ correct: false, monitored: true });

    const status = (await t.get('/v1/monitor')).body;
    expect(status.labelled).toBe(2);
    expect(status.realized_accuracy).toBe(0.5);
    expect(status.accuracy_gap).toBeCloseTo((right.score + wrong.score) / 2 - 0.5, 6);
    expect((await t.get(`/v1/predictions/${wrong.id}`)).body.feedback).toEqual({ label: otherLabel, correct: false, time: expect.any(String) });

    // Corrected feedback replaces the first.
    await t.post('/v1/feedback', { id: wrong.id, label: wrong.label });
    expect((await t.get('/v1/monitor')).body).toMatchObject({ labelled: 2, realized_accuracy: 1 });

    expectError(await t.post('/v1/feedback', { id: 'no-such-id', label: 'joy' }), 404, 'PREDICTION_NOT_FOUND');
    const unknown = await t.post('/v1/feedback', { id: right.id, label: 'boredom' });
    expectError(unknown, 400, 'UNKNOWN_LABEL');
    for (const label of LABELS) expect(unknown.body.error).toContain(label);
    expectError(await t.post('/v1/feedback', { id: right.id }), 400, 'INVALID_REQUEST');
    expectError(await t.post('/v1/feedback', { id: right.id, label: 'joy', extra: 1 }), 400, 'INVALID_REQUEST');
  });

  it('documents the new routes in the OpenAPI document', async () => {
    const doc = (await t.get('/openapi.json')).body;
    expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    const params = doc.paths['/v1/predictions'].get.parameters as Array<{ name: string; in: string; schema: { maximum?: number } }>;
    expect(params.map((p) => [p.name, p.in])).toEqual([
      ['limit', 'query'],
      ['cursor', 'query'],
      ['label', 'query'],
      ['abstained', 'query'],
      ['feedback', 'query'],
      ['correct', 'query'],
      ['since', 'query'],
      ['until', 'query'],
    ]);
    expect(params[0].schema.maximum).toBe(1000);
    expect(doc.paths['/v1/predictions/{id}'].get.responses).toHaveProperty('409');
    expect(doc.paths['/v1/feedback'].post.requestBody.content['application/json'].schema.required).toEqual(['id', 'label']);
  });
});

describe('a server without a reference profile', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ auditLimit: 3 });
  });

  afterAll(async () => {
    await t?.server.close();
  });

  it('answers /v1/monitor and its history with a 404 JSON error', async () => {
    expectError(await t.get('/v1/monitor'), 404, 'MONITOR_NOT_CONFIGURED');
    expectError(await t.get('/v1/monitor/history'), 404, 'MONITOR_NOT_CONFIGURED');
    expectError(await t.get('/v1/monitor/series'), 404, 'MONITOR_NOT_CONFIGURED');
  });

  it('still counts predictions and their latency on /metrics', async () => {
    expect((await t.post('/v1/predict', { inputs: ['I am so happy today', 'I miss her so much'] })).status).toBe(200);
    expect((await t.post('/predict', { inputs: 'I am so happy today' })).status).toBe(200);
    const res = await t.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sumSamples(res.text, 'glassbox_predictions_total')).toBe(3);
    expect(sample(res.text, 'glassbox_predictions_total', { label: 'joy' })).toBe(2);
    expect(res.text).toMatch(/^glassbox_inference_duration\w*_bucket\{.*le="\+Inf".*\} 3$/m);
    expect(res.text).not.toContain('glassbox_prediction_confidence');
  });

  it('keeps only the last auditLimit predictions, without their text', async () => {
    const res = await t.post('/v1/predict', { inputs: ['one', 'two', 'three', 'four'] });
    const ids = res.body.predictions.map((p: { id: string }) => p.id) as string[];
    const list = (await t.get('/v1/predictions')).body;
    expect(list).toMatchObject({ size: 3, audit_limit: 3, next_cursor: null });
    expect(list.predictions.map((p: { id: string }) => p.id)).toEqual(ids.slice(1).reverse());
    expect(list.predictions[0].text).toBeUndefined();
    expectError(await t.get(`/v1/predictions/${ids[0]}`), 404, 'PREDICTION_NOT_FOUND');
    expectError(await t.get(`/v1/predictions/${ids[3]}?explain=true`), 409, 'TEXT_NOT_STORED');
    const feedback = await t.post('/v1/feedback', { id: ids[3], label: 'neutral' });
    expect(feedback.status).toBe(200);
    expect(feedback.body.monitored).toBe(false);
  });

  it('close() shuts the metrics registry down', async () => {
    const other = await startTestServer();
    await other.server.close();
    const http: Server = createServer(other.server.app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: expect.any(String), error_type: 'NOT_READY' });
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

/** A meter whose every method throws, or whose instruments throw when used. */
function throwingMeter(where: 'meter' | 'instruments'): ApiMeter {
  const brokenInstrument = () =>
    new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('instrument broke');
        },
      },
    );
  return new Proxy({} as ApiMeter, {
    get: (_target, property) => {
      if (where === 'instruments' && String(property).startsWith('create')) return brokenInstrument;
      if (where === 'instruments') return () => undefined;
      return () => {
        throw new Error(`meter broke in ${String(property)}`);
      };
    },
  });
}

describe('a failing meter', () => {
  it.each([
    ['a meter that throws, with a reference', 'meter', true],
    ['instruments that throw, with a reference', 'instruments', true],
    ['a meter that throws, without a reference', 'meter', false],
    ['instruments that throw, without a reference', 'instruments', false],
  ] as const)('never fails a prediction: %s', async (_name, where, withReference) => {
    const errors: unknown[] = [];
    const t = await startTestServer({
      meter: throwingMeter(where),
      ...(withReference && { referencePath }),
      onError: (e) => errors.push(e),
    });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await t.post('/v1/predict', { inputs: ['I am so happy today', ANGRY] })).status).toBe(200);
        expect((await t.post('/predict', { inputs: ANGRY })).status).toBe(200);
        expect((await t.post('/models/emotion-mini', { inputs: ANGRY })).status).toBe(200);
      }
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.length).toBeLessThan(10); // once per distinct failure, not per prediction
      expect(errors.every((e) => /broke/.test((e as Error).message))).toBe(true);
      if (withReference) expect((await t.get('/v1/monitor')).body.observed).toBe(12);
      const listed = (await t.get('/v1/predictions')).body.predictions;
      expect(listed).toHaveLength(6);
      expect(listed[0].id).toMatch(UUID);
      expect((await t.get('/metrics')).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });
});

describe('monitoring options', () => {
  it('refuses a missing reference, a reference of another model, and bad sizes', async () => {
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, referencePath: join(dir, 'missing.json') })).rejects.toMatchObject({
      code: 'INPUT_FILE_UNREADABLE',
    });
    const otherPath = join(dir, 'other-model.json');
    await writeFile(otherPath, JSON.stringify({ ...profile, model: { ...profile.model, id: `sha256:${'0'.repeat(64)}` } }));
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, referencePath: otherPath })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    const brokenPath = join(dir, 'broken.json');
    await writeFile(brokenPath, JSON.stringify({ ...profile, n: profile.n + 1 }));
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, referencePath: brokenPath })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    for (const bad of [{ monitorWindow: 0 }, { auditLimit: -1 }, { auditLimit: 1.5 }, { storeText: 'yes' }, { log: {} }]) {
      await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, ...bad } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    }
  });
});
