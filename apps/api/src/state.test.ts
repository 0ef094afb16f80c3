import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlassboxError, type PipelineResult } from '@glassbox/core';
import { availableSqliteDrivers, openStateStore, type StateStore } from '@glassbox/monitor';
import { createApiServer } from './api-server.js';
import { createMonitoring } from './monitoring.js';
import { LABELS, MODEL_DIR, referenceFor, startTestServer, type TestServer } from './test-server.js';

/** A server with a state database: what survives a graceful restart, and who may open the file. */

const PHRASES: Record<string, string[]> = {
  anger: ['I am furious with you', 'this makes me so angry', 'stop lying to me, I am livid'],
  disgust: ['that is disgusting, gross', 'the smell made me want to throw up', 'what a revolting thing to do'],
  fear: ['I am terrified of the dark', 'I am scared something bad will happen', 'that noise frightened me'],
  joy: ['I am so happy today', 'this is wonderful, I love it', 'thank you so much, great news'],
  neutral: ['the meeting is at three', 'I bought bread at the store', 'the report has four pages'],
  sadness: ['I miss her so much', 'I cried all night, I feel so alone', 'my dog died yesterday'],
  surprise: ['wow, I did not expect that at all', 'what? really? no way!', 'I am shocked, that came out of nowhere'],
};
const ROWS = LABELS.flatMap((label) => PHRASES[label].map((text) => ({ text, label })));
const TEXTS = ROWS.map((r) => r.text);
const ANGRY = 'I am furious, this makes me so angry!';
const KEY = 'k';
const AUTH = { authorization: `Bearer ${KEY}` };

let dir: string;
let referencePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glassbox-state-'));
  referencePath = join(dir, 'reference.json');
  await writeFile(referencePath, JSON.stringify(await referenceFor([...TEXTS, ...TEXTS.map((t) => `Honestly, ${t}`)])));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Everything a client can read of the server's state. */
async function snapshot(t: TestServer) {
  // The series first: GET /v1/monitor may add a point to it.
  const series = (await t.get('/v1/monitor/series')).body;
  const monitor = (await t.get('/v1/monitor')).body;
  const predictions = (await t.get('/v1/predictions?limit=1000', AUTH)).body;
  return {
    monitor: {
      observed: monitor.observed,
      window: monitor.window,
      counts: Object.fromEntries(Object.entries(monitor.signals).map(([k, v]) => [k, (v as { window_counts: unknown }).window_counts])),
      estimated: Number(monitor.estimated_accuracy.toFixed(12)), // a sum rebuilt in another order
      realized: monitor.realized_accuracy,
      labelled: monitor.labelled,
      alarms: monitor.alarms,
    },
    history: (await t.get('/v1/monitor/history')).body,
    series,
    predictions,
    calibration: (await t.get('/v1/calibration/versions')).body,
  };
}

describe.skipIf(availableSqliteDrivers().length === 0)('a server with a state database', () => {
  it('comes back after a restart with its audit log, window, alarms, series, feedback, reference and calibration versions', async () => {
    const statePath = join(dir, 'restart.db');
    const options = { statePath, monitorWindow: 40, apiKey: KEY, storeText: true, log: { write: () => true } };
    const first = await startTestServer({ ...options, referencePath });
    let before: Awaited<ReturnType<typeof snapshot>>;
    let ids: string[];
    let tokens: string[];
    try {
      const res = await first.post('/v1/predict', { inputs: TEXTS });
      ids = res.body.predictions.map((p: { id: string }) => p.id);
      tokens = res.body.predictions.map((p: { feedback_token: string }) => p.feedback_token);
      for (let i = 0; i < 3; i++) await first.post('/v1/predict', { inputs: Array.from({ length: 10 }, () => ANGRY) });
      // Feedback with the prediction's token, or with the key.
      expect((await first.post('/v1/feedback', { id: ids[12], label: 'anger', feedback_token: tokens[12] })).status).toBe(200);
      expect((await first.post('/v1/feedback', { id: ids[20], label: 'surprise' }, AUTH)).status).toBe(200);
      const fit = await first.post('/v1/calibration/fit', { rows: ROWS, activate: true }, AUTH);
      expect(fit.status).toBe(200);
      before = await snapshot(first);
    } finally {
      await first.server.close();
    }
    expect(before.monitor.observed).toBe(TEXTS.length + 30);
    expect(before.monitor.alarms.length).toBeGreaterThan(0); // thirty angry texts in a window of 40
    expect(before.history.alarms.length).toBeGreaterThan(0);
    expect(before.series.points.length).toBeGreaterThan(0);
    expect(before.monitor.labelled).toBe(2);
    expect(before.calibration).toMatchObject({ active: 'v1', versions: [{ id: 'v1', active: true }] });

    // No referencePath this time: the stored profile is used.
    const second = await startTestServer(options);
    try {
      const after = await snapshot(second);
      expect(after).toEqual(before);
      expect((await second.get(`/v1/predictions/${ids[12]}`, AUTH)).body.feedback).toMatchObject({ label: 'anger', correct: expect.any(Boolean) });
      expect((await second.get(`/v1/predictions/${ids[1]}`, AUTH)).body.text).toBe(TEXTS[1]);
      // The token secret is in the database: a token from before the restart still works, and a
      // correction is appended to the history.
      expect((await second.post('/v1/feedback', { id: ids[12], label: 'joy', feedback_token: tokens[12] })).status).toBe(200);
      const corrected = (await second.get(`/v1/predictions/${ids[12]}`, AUTH)).body;
      expect(corrected.feedback).toMatchObject({ label: 'joy' });
      expect(corrected.feedback_history.map((f: { label: string }) => f.label)).toEqual(['anger', 'joy']);
      // The selected calibration is active again: predictions come out calibrated.
      expect((await second.post('/v1/predict', { inputs: ['hello'] })).body.calibrated).toBe(true);
      expect((await second.get('/v1/monitor')).body.observed).toBe(TEXTS.length + 31);
    } finally {
      await second.server.close();
    }
  });

  it('keeps the audit log within its limit across restarts', async () => {
    const statePath = join(dir, 'limit.db');
    const first = await startTestServer({ statePath, auditLimit: 5, apiKey: KEY });
    await first.post('/v1/predict', { inputs: TEXTS.slice(0, 8) });
    await first.server.close();
    const second = await startTestServer({ statePath, auditLimit: 5, apiKey: KEY });
    try {
      const page = (await second.get('/v1/predictions', AUTH)).body;
      expect(page.size).toBe(5);
      expect(page.predictions).toHaveLength(5);
      expect(page.audit_limit).toBe(5);
    } finally {
      await second.server.close();
    }
  });

  it('never fails a prediction when the database fails under it', async () => {
    const store = openStateStore({ path: ':memory:' });
    const failing = new Set<PropertyKey>(['appendObservations', 'appendAlarm', 'appendSeriesPoint', 'setTruth', 'transaction']);
    const broken = new Proxy(store, {
      get: (target, key) =>
        failing.has(key)
          ? () => {
              throw new GlassboxError('STORE_FAILED', 'cannot write observations in x.db: disk I/O error');
            }
          : Reflect.get(target, key),
    }) as StateStore;
    const reference = JSON.parse(await readFile(referencePath, 'utf8'));
    const errors: unknown[] = [];
    const monitoring = createMonitoring({
      modelId: reference.model.id,
      labels: LABELS,
      calibrationId: () => null,
      abstentionRules: [],
      reference,
      window: 50,
      log: { write: () => true },
      meter: null,
      store: broken,
      onError: (e) => errors.push(e),
    });
    const probabilities = Object.fromEntries(LABELS.map((l) => [l, l === 'joy' ? 0.94 : 0.01]));
    const result = {
      text: 'a',
      label: 'joy',
      labelId: 3,
      score: 0.94,
      probabilities,
      logits: LABELS.map((l) => Math.log(probabilities[l])),
      tokens: 3,
      truncated: false,
      windows: 1,
      raw: { label: 'joy', score: 0.94, probabilities },
      calibrator: null,
      abstained: false,
      abstentionReason: null,
    } as PipelineResult;
    try {
      expect(() => monitoring.observe({ results: [result, result], ids: ['a', 'b'], durationSeconds: 0.01 })).not.toThrow();
      expect(monitoring.recordFeedback('a', 'joy')).toBe(true);
      expect(monitoring.monitor?.status()).toMatchObject({ observed: 2, labelled: 1 });
      expect(errors.length).toBeGreaterThan(0);
      expect(errors).toContainEqual(expect.objectContaining({ code: 'STORE_FAILED' }));
    } finally {
      await monitoring.shutdown();
      store.close();
    }
  });

  it('refuses a second server on the same file, and bad state options', async () => {
    const statePath = join(dir, 'owned.db');
    const owner = await startTestServer({ statePath });
    try {
      await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, statePath })).rejects.toMatchObject({
        code: 'STORE_FAILED',
        message: expect.stringMatching(/in use by another process/),
      });
      // The owner is unharmed.
      expect((await owner.post('/v1/predict', { inputs: ['still here'] })).status).toBe(200);
    } finally {
      await owner.server.close();
    }
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, statePath, stateDurability: 'eventually' as never })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, statePath, auditMaxAgeDays: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(createApiServer({ modelDir: MODEL_DIR, workers: 0, statePath: join(dir, 'no-such-dir', 'x.db') })).rejects.toMatchObject({
      code: 'STORE_FAILED',
    });
  });
});
