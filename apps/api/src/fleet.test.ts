import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgStateStore } from '@glassbox/monitor';
import { freePort, postgresMissing, startTestPostgres, type TestPostgres } from '@glassbox/monitor/testing';
import type { ApiServerOptions } from './api-options.js';
import { LABELS, referenceFor, startTestServer, type TestServer } from './test-server.js';

/**
 * A fleet as docs/deployment.md sets it up, with the same scripts: PostgreSQL
 * (tools/fleet/postgres.sh), three replicas sharing it, and Prometheus (tools/fleet/prometheus.sh)
 * scraping them and evaluating the rules of tools/prometheus/generate-rules.mjs. The parts that
 * need no sharing (retrieval, filters, feedback) also run on one replica with SQLite.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
const hasPrometheus = await run('prometheus', ['--version']).then(
  () => true,
  () => false,
);
const missing = postgresMissing() ?? (hasPrometheus ? null : 'fleet tests skipped: no prometheus binary (apt-get install prometheus)');
if (missing) console.warn(missing);

/** One text per label, twice over: traffic the reference looks like. */
const TEXTS = [
  'I am furious with you', 'that is disgusting, gross', 'I am terrified of the dark', 'I am so happy today',
  'the meeting is at three', 'I miss her so much', 'wow, I did not expect that at all',
  'this makes me so angry', 'the food was rotten and vile', 'I am scared something bad will happen', 'this is wonderful, I love it',
  'I bought bread at the store', 'I cried all night, I feel so alone', 'what? really? no way!',
];
const OUT_OF_DOMAIN = 'I am furious, this makes me so angry!';

/** Polls `probe` until it returns a value, every 200 ms, `tries` times at most. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, tries = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface Served {
  id: string;
  label: string;
  token: string;
  replica: number;
}

/** Sends `texts` two at a time, round robin over `replicas`; every one must be acknowledged. */
async function spread(replicas: readonly TestServer[], texts: readonly string[]): Promise<Served[]> {
  const served: Served[] = [];
  for (let i = 0; i < texts.length; i += 2) {
    const replica = (i / 2) % replicas.length;
    const res = await replicas[replica].post('/v1/predict', { inputs: texts.slice(i, i + 2) });
    expect(res.status).toBe(200);
    for (const p of res.body.predictions) served.push({ id: p.id, label: p.label, token: p.feedback_token, replica });
  }
  return served;
}

/** Retrieval, filters and feedback across `replicas` (one replica: the same checks on its own store). */
async function checkSharing(replicas: readonly TestServer[]): Promise<void> {
  // Only this traffic: the fleet's store also holds the other tests' predictions.
  const since = `since=${encodeURIComponent(new Date(Date.now() - 1).toISOString())}`;
  const served = await spread(replicas, TEXTS);
  for (const r of replicas) {
    for (const s of served) {
      const res = await r.get(`/v1/predictions/${s.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: s.id, label: s.label });
    }
    for (const label of new Set(served.map((s) => s.label))) {
      const listed = (await r.get(`/v1/predictions?label=${label}&limit=100&${since}`)).body.predictions.map((p: { id: string }) => p.id);
      expect(new Set(listed)).toEqual(new Set(served.filter((s) => s.label === label).map((s) => s.id)));
    }
  }
  // Feedback given on the next replica with the token another one issued, read on a third.
  const [first, second] = served;
  const truth = LABELS.find((l) => l !== first.label) as string;
  const giveOn = replicas[(first.replica + 1) % replicas.length];
  expect((await giveOn.post('/v1/feedback', { id: first.id, label: truth, feedback_token: first.token })).status).toBe(200);
  expect((await giveOn.post('/v1/feedback', { id: first.id, label: first.label, feedback_token: first.token })).status).toBe(200);
  expect((await giveOn.post('/v1/feedback', { id: second.id, label: second.label, feedback_token: second.token })).status).toBe(200);
  const readOn = replicas[(first.replica + 2) % replicas.length];
  const entry = (await readOn.get(`/v1/predictions/${first.id}`)).body;
  expect(entry.feedback).toMatchObject({ label: first.label, correct: true });
  expect(entry.feedback_history.map((f: { label: string }) => f.label)).toEqual([truth, first.label]);
  for (const r of replicas) {
    const withFeedback = (await r.get(`/v1/predictions?feedback=true&limit=100&${since}`)).body.predictions.map((p: { id: string }) => p.id);
    expect(new Set(withFeedback)).toEqual(new Set([first.id, second.id]));
  }
}

describe('one replica on SQLite: what needs no sharing', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-fleet-sqlite-'));
    server = await startTestServer({ statePath: join(dir, 'state.db') });
  }, 60_000);
  afterAll(async () => {
    await server?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves every prediction, filter and feedback from its own store', () => checkSharing([server]), 60_000);
});

describe.skipIf(missing !== null)('a fleet: PostgreSQL, Prometheus and three replicas', () => {
  let dir: string;
  let postgres: TestPostgres;
  let prometheus: string;
  const replicas: TestServer[] = [];
  const acknowledged: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-fleet-'));
    postgres = await startTestPostgres();
    const reference = join(dir, 'reference.json');
    await writeFile(reference, JSON.stringify(await referenceFor(TEXTS.concat(TEXTS, TEXTS))));
    // The commands of docs/deployment.md: rules from the reference, Prometheus scraping the replicas.
    const rules = join(dir, 'glassbox-drift.yml');
    await run('node', [join(ROOT, 'tools/prometheus/generate-rules.mjs'), '--reference', reference, '--window', '1m', '--for', '0m', '--out', rules]);
    const options: Partial<ApiServerOptions> = { statePath: postgres.url, referencePath: reference, monitorWindow: 200, sharedStatePollMs: 200 };
    for (let i = 0; i < 3; i++) replicas.push(await startTestServer({ ...options, replicaId: `replica-${i}` }));
    const targets = replicas.map((r) => r.base.replace('http://', ''));
    const port = String(await freePort());
    prometheus = (
      await run('bash', [join(ROOT, 'tools/fleet/prometheus.sh'), 'start', join(dir, 'prometheus'), port, rules, ...targets], {
        env: { ...process.env, SCRAPE_INTERVAL: '1s' },
        timeout: 60_000,
      })
    ).stdout.trim();
  }, 300_000);

  afterAll(async () => {
    for (const r of replicas) await r.server.close().catch(() => undefined);
    if (dir) await run('bash', [join(ROOT, 'tools/fleet/prometheus.sh'), 'stop', join(dir, 'prometheus')]).catch(() => undefined);
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  const alerts = async (): Promise<Array<{ labels: { alertname: string }; state: string }>> =>
    ((await (await fetch(`${prometheus}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: { alertname: string }; state: string }> } }).data.alerts;

  it('an out-of-domain stream split across the replicas fires the fleet alert; no replica alarms alone', async () => {
    // Every replica's histograms exist (and are scraped) before the stream, so increase() sees all of it.
    acknowledged.push(...(await spread(replicas, TEXTS.slice(0, 6))).map((s) => s.id));
    await until('every replica scraped', async () => {
      const res = (await (await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent('count(glassbox_prediction_confidence_count)')}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      return Number(res.data.result[0]?.value[1] ?? 0) === replicas.length;
    });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two more scrapes of the quiet fleet
    expect(await alerts()).toEqual([]);
    // 12 per replica: 36 in the fleet's window (the rules need 30), under 30 in each replica's own.
    acknowledged.push(...(await spread(replicas, Array.from({ length: 36 }, () => OUT_OF_DOMAIN))).map((s) => s.id));
    const firing = await until('a firing fleet drift alert', async () => {
      const found = (await alerts()).filter((a) => a.state === 'firing');
      return found.length > 0 && found;
    }, 150);
    expect(firing.map((a) => a.labels.alertname)).toEqual(expect.arrayContaining([expect.stringMatching(/^Glassbox(Confidence|Label)Drift$/)]));
    for (const r of replicas) {
      const status = (await r.get('/v1/monitor')).body;
      expect(status.window).toBeLessThan(30);
      expect(status.alarms).toEqual([]);
    }
  }, 120_000);

  it('traffic spread across the replicas is retrievable, filterable and takes feedback on any of them', () => checkSharing(replicas), 60_000);

  it('audit rows name the replica that served them (glassbox monitor state)', async () => {
    const store = await openPgStateStore({ url: postgres.url, replicaId: 'test-reader' });
    try {
      const summary = await store.summary();
      const rows = new Map((summary.replicas ?? []).map((r) => [r.replica, r.auditRows]));
      for (let i = 0; i < 3; i++) expect(rows.get(`replica-${i}`)).toBeGreaterThan(0);
      expect(summary.auditRows).toBe([...rows.values()].reduce((a, b) => a + b, 0));
    } finally {
      await store.close();
    }
  }, 30_000);

  it('a calibration version selected on one replica is active on all', async () => {
    const rows = TEXTS.concat(TEXTS).map((text, i) => ({ text, label: LABELS[i % LABELS.length] }));
    const fitted = await replicas[0].post('/v1/calibration/fit', { rows });
    expect(fitted.status).toBe(200);
    expect((await replicas[1].post('/v1/calibration/select', { version: fitted.body.id })).status).toBe(200);
    const calibrationIds = new Set<string>();
    for (const r of replicas) {
      await until(`${fitted.body.id} active on ${r.base}`, async () => (await r.get('/v1/calibration/versions')).body.active === fitted.body.id);
      const res = await r.post('/v1/predict', { inputs: ['I am so happy today'], calibrated: true });
      expect(res.status).toBe(200);
      const id = res.body.predictions[0].id as string;
      acknowledged.push(id);
      calibrationIds.add((await r.get(`/v1/predictions/${id}`)).body.calibration_id);
    }
    expect(calibrationIds.size).toBe(1);
    expect([...calibrationIds][0]).toEqual(expect.any(String));
  }, 60_000);

  it('without PostgreSQL replicas refuse writes (503) and turn unready; they recover with nothing acknowledged lost', async () => {
    await postgres.kill();
    // Unready with no traffic at all: the heartbeat finds the database gone.
    for (const r of replicas) await until(`${r.base} unready`, async () => (await r.get('/ready')).status === 503);
    for (const r of replicas) {
      const read = await r.get(`/v1/predictions/${acknowledged[0]}`);
      expect(read.status).toBe(503);
      expect(read.body.error_type).toBe('STORE_FAILED');
      expect(read.headers.get('retry-after')).toBe('5');
      const refused = await r.post('/v1/predict', { inputs: ['the train leaves at noon'] });
      expect(refused.status).toBe(503);
      expect(refused.body.error_type).toBe('AUDIT_WRITE_FAILED');
      expect(refused.headers.get('retry-after')).toBe('5');
    }
    await postgres.restart();
    for (const r of replicas) await until(`${r.base} ready again`, async () => (await r.get('/ready')).status === 200);
    acknowledged.push(...(await spread(replicas, TEXTS.slice(0, 6))).map((s) => s.id));
    for (const r of replicas) {
      for (const id of acknowledged) expect((await r.get(`/v1/predictions/${id}`)).status).toBe(200);
    }
  }, 120_000);

  it('without Prometheus replicas keep serving', async () => {
    await run('bash', [join(ROOT, 'tools/fleet/prometheus.sh'), 'stop', join(dir, 'prometheus')]);
    await expect(fetch(`${prometheus}/-/ready`)).rejects.toThrow();
    for (const r of replicas) {
      expect((await r.post('/v1/predict', { inputs: ['we moved the chairs to the hall'] })).status).toBe(200);
      expect((await r.get('/ready')).status).toBe(200);
      expect((await r.get('/metrics')).status).toBe(200);
    }
  }, 60_000);
});
