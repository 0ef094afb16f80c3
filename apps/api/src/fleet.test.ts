import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgStateStore } from '@glassbox/monitor';
import { freePort, postgresMissing, startTestPostgres, type TestPostgres } from '@glassbox/monitor/testing';
import { LABELS, referenceFor, startTestServer, testClient, type TestClient } from './test-server.js';

/**
 * A fleet as docs/deployment.md sets it up, with the same commands: PostgreSQL
 * (tools/fleet/postgres.sh), three replicas sharing it, each a `glassbox serve` process (the
 * compiled CLI, apps/cli/bin/glassbox.js: `npm run build` first), and Prometheus
 * (tools/fleet/prometheus.sh) scraping them and evaluating the rules of
 * tools/prometheus/generate-rules.mjs, whose Grafana dashboard's queries must all evaluate there.
 * The parts that need no sharing (retrieval, filters, feedback) also run on one replica with SQLite.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const execFileAsync = promisify(execFile);

/**
 * Each command this file runs, by program (a repository path, or "glassbox serve"): its arguments
 * and the variables it set in the environment; README and docs/deployment.md must not give more.
 */
const ran = new Map<string, Array<{ args: readonly string[]; env: readonly string[] }>>();
function record(program: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  const entry = { args, env: Object.keys(env).filter((k) => env[k] !== process.env[k]) };
  ran.set(program, [...(ran.get(program) ?? []), entry]);
}
/** execFile, recorded: `node SCRIPT ...` and `bash SCRIPT ...` under the script's repository path. */
function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const script = ['node', 'bash'].includes(file) && args[0]?.startsWith(ROOT) ? args[0].slice(ROOT.length) : file;
  record(script, script === file ? args : args.slice(1), options.env);
  return execFileAsync(file, args, options);
}
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

const BIN = join(ROOT, 'apps/cli/bin/glassbox.js');

/** A `glassbox serve` child process on a loopback port, with the last of its log. */
interface Replica extends TestClient {
  child: ChildProcess;
  log(): string;
}

/** Every child started by this file: stopped by afterAll, killed at the latest when this process exits. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `glassbox serve ARGS --port 0 --host 127.0.0.1`; resolves once it serves. */
async function serve(args: readonly string[]): Promise<Replica> {
  const env = { ...process.env };
  for (const name of ['GLASSBOX_STATE', 'GLASSBOX_REPLICA_ID', 'GLASSBOX_MODEL', 'GLASSBOX_API_KEY', 'GLASSBOX_API_KEY_FILE', 'PORT', 'HOST']) delete env[name];
  record('glassbox serve', [...args, '--port', '0', '--host', '127.0.0.1']);
  const child = spawn(process.execPath, [BIN, 'serve', ...args, '--port', '0', '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`glassbox serve did not start within 120 s:\n${log}`)), 120_000);
    const exited = () => {
      clearTimeout(timer);
      reject(new Error(`glassbox serve exited (${child.exitCode ?? child.signalCode}):\n${log}`));
    };
    child.once('exit', exited);
    child.stderr?.on('data', () => {
      const m = /serving .* on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', exited);
      resolve(m[1]);
    });
  });
  return { ...testClient(base), child, log: () => log };
}

/** SIGTERM (a graceful shutdown), then SIGKILL after 15 s. */
async function stop(replica: Replica): Promise<void> {
  const { child } = replica;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  children.delete(child);
}

/** A Prometheus instant query's result; throws unless Prometheus answers success. */
async function promQuery(prometheus: string, query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${query}: ${body.error}`);
  return body.data.result;
}

interface Served {
  id: string;
  label: string;
  token: string;
  replica: number;
}

/** Sends `texts` two at a time, round robin over `replicas`; every one must be acknowledged. */
async function spread(replicas: readonly TestClient[], texts: readonly string[]): Promise<Served[]> {
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
async function checkSharing(replicas: readonly TestClient[]): Promise<void> {
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
  let server: Replica;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-fleet-sqlite-'));
    server = await serve(['--state', join(dir, 'state.db'), '--no-calibration', '--no-reference']);
  }, 150_000);
  afterAll(async () => {
    if (server) await stop(server);
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('serves every prediction, filter and feedback from its own store', () => checkSharing([server]), 60_000);
});

describe.skipIf(missing !== null)('a fleet: PostgreSQL, Prometheus and three replicas', () => {
  let dir: string;
  let postgres: TestPostgres;
  let prometheus: string;
  let dashboard: { panels: Array<{ title: string; targets?: Array<{ refId: string; expr: string }> }> };
  const replicas: Replica[] = [];
  const acknowledged: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-fleet-'));
    postgres = await startTestPostgres();
    const reference = join(dir, 'reference.json');
    await writeFile(reference, JSON.stringify(await referenceFor(TEXTS.concat(TEXTS, TEXTS))));
    // The commands of docs/deployment.md: rules (and the Grafana dashboard) from the reference,
    // the replicas, Prometheus scraping them.
    const rules = join(dir, 'glassbox-drift.yml');
    const grafana = join(dir, 'glassbox-fleet.json');
    await run('node', [join(ROOT, 'tools/prometheus/generate-rules.mjs'), '--reference', reference, '--window', '1m', '--for', '0m', '--out', rules, '--grafana', grafana]);
    dashboard = JSON.parse(await readFile(grafana, 'utf8'));
    // Test settings: the shared state read every 200 ms (default 2 s), per-window drift tests (no
    // run-length simulation at start), raw probabilities as in the reference.
    const config = join(dir, 'fleet-test.json');
    await writeFile(config, JSON.stringify({ sharedStatePollMs: 200, expectedRunLength: null }));
    const flags = (i: number) => ['--state', postgres.url, '--replica-id', `replica-${i}`, '--reference', reference, '--config', config, '--no-calibration', '--monitor-window', '200'];
    const started = await Promise.allSettled([0, 1, 2].map((i) => serve(flags(i))));
    for (const s of started) if (s.status === 'fulfilled') replicas.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
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
    await Promise.all(replicas.map(stop));
    if (dir) await run('bash', [join(ROOT, 'tools/fleet/prometheus.sh'), 'stop', join(dir, 'prometheus')]).catch(() => undefined);
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  const alerts = async (): Promise<Array<{ labels: { alertname: string }; state: string }>> =>
    ((await (await fetch(`${prometheus}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: { alertname: string }; state: string }> } }).data.alerts;

  it('an out-of-domain stream split across the replicas fires the fleet alert; no replica alarms alone', async () => {
    // Every replica's histograms exist (and are scraped) before the stream, so increase() sees all of it.
    acknowledged.push(...(await spread(replicas, TEXTS.slice(0, 6))).map((s) => s.id));
    await until('every replica scraped', async () => Number((await promQuery(prometheus, 'count(glassbox_prediction_confidence_count)'))[0]?.value[1] ?? 0) === replicas.length);
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

  it("every query of the generated Grafana dashboard evaluates on the fleet's Prometheus; the fleet drift panels have data", async () => {
    // As Grafana sends them with every replica selected.
    const expand = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*').replaceAll('$replica', '.*');
    const results = new Map<string, Awaited<ReturnType<typeof promQuery>>>();
    for (const panel of dashboard.panels) {
      for (const t of panel.targets ?? []) results.set(`${panel.title} ${t.refId}`, await promQuery(prometheus, expand(t.expr)));
    }
    expect(results.size).toBeGreaterThanOrEqual(15);
    const drift = [...results].filter(([name]) => name.startsWith('Fleet drift: PSI'));
    expect(drift.length).toBe(4); // confidence and labels: PSI and threshold each
    for (const [name, result] of drift) {
      expect(result, name).toHaveLength(1);
      expect(Number(result[0].value[1]), name).toBeGreaterThanOrEqual(0);
    }
    const value = (name: string) => Number(results.get(name)?.[0]?.value[1]);
    expect(value('Replicas up A')).toBe(3);
    expect(value('Fleet window: predictions in the last 1m A')).toBeGreaterThanOrEqual(30);
    // The alert state panel shows what fired (2: firing), and that signal's panel its PSI above the threshold.
    const signals = [
      ['GlassboxConfidenceDrift', 'confidence'],
      ['GlassboxLabelDrift', 'predicted labels'],
    ];
    const firing = signals.filter((_, i) => value(`Fleet drift alerts ${'AB'[i]}`) === 2);
    expect(firing.length).toBeGreaterThan(0);
    for (const [, what] of firing) {
      const panel = `Fleet drift: PSI of ${what} vs its alarm threshold`;
      expect(value(`${panel} A`), panel).toBeGreaterThan(value(`${panel} B`));
    }
    expect(results.get('Predictions per second, per replica A')?.map((r) => r.metric['instance']).sort()).toEqual(replicas.map((r) => r.base.replace('http://', '')).sort());
    expect(results.get('Confidence histogram over time A')?.length).toBeGreaterThan(1);
  }, 60_000);

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

  it('calibrations fitted on two replicas at the same instant get distinct versions; one selected on one replica is active on all', async () => {
    const rows = TEXTS.concat(TEXTS).map((text, i) => ({ text, label: LABELS[i % LABELS.length] }));
    const [fitted, other] = await Promise.all([
      replicas[0].post('/v1/calibration/fit', { rows }),
      replicas[2].post('/v1/calibration/fit', { rows, method: 'vector' }),
    ]);
    expect([fitted.status, other.status]).toEqual([200, 200]);
    expect(fitted.body.id).not.toBe(other.body.id);
    for (const r of replicas) {
      await until(`both versions on ${r.base}`, async () => {
        const listed = new Map(((await r.get('/v1/calibration/versions')).body.versions as Array<{ id: string; method: string }>).map((v) => [v.id, v.method]));
        return listed.get(fitted.body.id) === 'temperature' && listed.get(other.body.id) === 'vector';
      });
    }
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

  it('a calibration switch reaches the other replicas by NOTIFY, without waiting for their poll', async () => {
    // Two in-process replicas on their own database that poll once an hour: only the notification can tell them.
    const url = await postgres.createDatabase('notify');
    const pair = await Promise.all(['notify-a', 'notify-b'].map((replicaId) => startTestServer({ statePath: url, replicaId, sharedStatePollMs: 3_600_000 })));
    try {
      const rows = TEXTS.concat(TEXTS).map((text, i) => ({ text, label: LABELS[i % LABELS.length] }));
      const fitted = await pair[0].post('/v1/calibration/fit', { rows, activate: true });
      expect(fitted.status).toBe(200);
      await until('the switch on the other replica', async () => (await pair[1].get('/v1/calibration/versions')).body.active === fitted.body.id);
      // Both serve with it: the audit rows of their predictions name the same calibration.
      const served = [];
      for (const r of pair) {
        const id = (await r.post('/v1/predict', { inputs: ['I am so happy today'] })).body.predictions[0].id as string;
        served.push((await r.get(`/v1/predictions/${id}`)).body.calibration_id);
      }
      expect(served[0]).toEqual(expect.any(String));
      expect(served[1]).toBe(served[0]);
    } finally {
      await Promise.all(pair.map((r) => r.server.close()));
    }
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

  it('README and docs/deployment.md give the fleet setup as commands this test ran, with no flag it did not use', async () => {
    // startTestPostgres (@glassbox/monitor/testing) runs tools/fleet/postgres.sh start|kill DIR PORT.
    record('tools/fleet/postgres.sh', ['start', 'DIR', 'PORT']);
    for (const doc of ['README.md', 'docs/deployment.md']) {
      const text = await readFile(join(ROOT, doc), 'utf8');
      const lines = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].replace(/\\\n\s*/g, ' ').split('\n'));
      const documented = new Set<string>();
      for (const line of lines.map((l) => l.replace(/\s#.*$/, '').trim()).filter((l) => l.length > 0)) {
        const words = line.split(/\s+/);
        const env = words.filter((w, i) => /^[A-Z_]+=/.test(w) && words.slice(0, i).every((x) => /^[A-Z_]+=/.test(x))).map((w) => w.split('=')[0]);
        const rest = words.slice(env.length);
        const serve = rest[0] === 'npx' && rest[1] === 'glassbox' && rest[2] === 'serve';
        const at = serve ? 3 : rest[0] === 'node' || rest[0] === 'bash' ? 2 : 1;
        const program = serve ? 'glassbox serve' : rest[at - 1];
        const args = rest.slice(at);
        if (serve && !line.includes('--state postgres://')) continue; // one machine, not the fleet
        const runs = ran.get(program);
        if (!runs) continue;
        documented.add(program);
        const flags = (list: readonly string[]) => list.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]);
        const usedFlags = new Set(runs.flatMap((r) => flags(r.args)));
        for (const flag of flags(args)) expect(usedFlags, `${doc}: ${line}`).toContain(flag);
        const usedEnv = new Set(runs.flatMap((r) => r.env));
        for (const name of env) expect(usedEnv, `${doc}: ${line}`).toContain(name);
        // start DIR PORT (postgres.sh); start DIR PORT RULES TARGET... (prometheus.sh), as the test ran them.
        if (program.endsWith('.sh') && args[0] === 'start') {
          const started = runs.filter((r) => r.args[0] === 'start').map((r) => r.args.length);
          expect(program.endsWith('prometheus.sh') ? args.length >= 5 : started.includes(args.length), `${doc}: ${line}`).toBe(true);
        }
      }
      expect([...documented].sort(), doc).toEqual(['glassbox serve', 'tools/fleet/postgres.sh', 'tools/fleet/prometheus.sh', 'tools/prometheus/generate-rules.mjs']);
    }
  });

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
