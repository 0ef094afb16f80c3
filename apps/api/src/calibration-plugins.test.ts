import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, startTestServer, type TestServer } from './test-server.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/never-below-abstention.mjs', import.meta.url));
const TEXTS = ['I am so happy today', 'this is awful and I hate it', 'what a surprise!'];
const ROWS = LABELS.flatMap((label) => [`I feel ${label} today`, `so much ${label}, honestly`, `this is ${label} again`].map((text) => ({ text, label })));

// A third-party calibrator (softmax(z / 2) whatever the data): examples/plugins/halve-logits-calibrator.mjs.
const HALVE_EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/halve-logits-calibrator.mjs', import.meta.url));

interface Prediction {
  label: string;
  score: number;
  probabilities: Record<string, number>;
  abstained: boolean;
  abstention_reason: string | null;
  raw?: { probabilities: Record<string, number> };
}

/** softmax(z / 2) recomputed from softmax(z): sqrt of each probability, renormalised. */
function expectHalved(p: Prediction): void {
  const raw = p.raw?.probabilities ?? {};
  expect(Object.keys(raw).sort()).toEqual(LABELS);
  const sum = LABELS.reduce((a, l) => a + Math.sqrt(raw[l]), 0);
  for (const l of LABELS) expect(p.probabilities[l], l).toBeCloseTo(Math.sqrt(raw[l]) / sum, 4);
}

describe('third-party abstention rules and calibrators through the server option plugins', () => {
  let dir: string;
  let rule: string;
  let calibrator: string;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-calibration-plugins-'));
    rule = join(dir, 'my-floor-rule.mjs');
    calibrator = join(dir, 'halve.mjs');
    await copyFile(EXAMPLE, rule);
    await copyFile(HALVE_EXAMPLE, calibrator);
  });

  afterAll(async () => {
    for (const s of servers) await s.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('abstain: "never-below:VALUE" decides /v1/predict with the plugin rule', async () => {
    const t = await startTestServer({ plugins: [rule], abstain: 'never-below:1' });
    servers.push(t);
    const r = await t.post('/v1/predict', { inputs: TEXTS });
    expect(r.status).toBe(200);
    expect(r.body.predictions).toHaveLength(TEXTS.length);
    for (const p of r.body.predictions as Prediction[]) {
      expect(p.abstained).toBe(true);
      expect(p.abstention_reason).toBe(`never-below: ${p.label} at ${p.score.toFixed(3)} < 1`);
    }
  }, 60_000);

  it('refuses to start with a plugin rule it has not loaded (INVALID_OPTION naming the rules)', async () => {
    await expect(startTestServer({ abstain: 'never-below:0.9' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/abstain "never-below:0.9" is not a rule; use one of .*max-probability:THRESHOLD/),
    });
  }, 60_000);

  it('fits a plugin calibrator on /v1/calibration/fit, serves it, and a restart reads its file back', async () => {
    const calibrationDir = join(dir, 'calibrations');
    const t = await startTestServer({ plugins: [rule, calibrator], abstain: 'never-below:0', calibrationDir });
    servers.push(t);
    const fit = await t.post('/v1/calibration/fit', { rows: ROWS, method: 'halve-logits', activate: true });
    expect(fit.status).toBe(200);
    expect(fit.body.method).toBe('halve-logits');
    const served = await t.post('/v1/predict', { inputs: TEXTS });
    expect(served.body.calibrated).toBe(true);
    for (const p of served.body.predictions as Prediction[]) {
      expectHalved(p);
      expect(p.abstained).toBe(false);
    }
    const unknown = await t.post('/v1/calibration/fit', { rows: ROWS, method: 'quarter-logits' });
    expect(unknown.status).toBe(400);
    const doc = (await t.get('/openapi.json')).body;
    expect(JSON.stringify(doc.paths['/v1/calibration/fit'].post.requestBody)).toContain('"halve-logits"');
    const listed = await t.get('/v1/calibration/versions');
    expect(listed.body.versions.map((v: { method: string; active: boolean }) => [v.method, v.active])).toEqual([['halve-logits', true]]);

    const [file] = await readdir(calibrationDir);
    const restarted = await startTestServer({ plugins: [calibrator], calibrationPath: join(calibrationDir, file) });
    servers.push(restarted);
    const again = await restarted.post('/v1/predict', { inputs: TEXTS });
    expect(again.status).toBe(200);
    for (const p of again.body.predictions as Prediction[]) expectHalved(p);

    await expect(startTestServer({ calibrationPath: join(calibrationDir, file) })).rejects.toMatchObject({
      code: 'CALIBRATION_FILE_INVALID',
      message: expect.stringMatching(/calibration\.method must be one of temperature, .*\(got "halve-logits"\); a plugin's method needs that plugin loaded/),
    });
  }, 120_000);
});
