#!/usr/bin/env node
/**
 * Soak test: `glassbox serve` exactly as the README starts it (default configuration, in a fresh
 * working directory), under a steady mix of traffic on 127.0.0.1 for a fixed time; then a restart
 * that must bring back every acknowledged prediction.
 *
 *   npm run soak                      # 600 s (the full length, outside CI)
 *   npm run soak -- --seconds 60      # what CI runs
 *   npm run soak -- --seconds 60 --json soak.json
 *   npm run soak -- --serve-arg=--no-calibration --serve-arg=--no-reference   # extra serve flags
 *
 * Traffic (closed loop, CLIENTS clients, each sending its next request when the previous one is
 * answered): predictions of 1-8 texts, explanations of short texts, feedback on earlier
 * predictions, audit-trail reads, health checks, malformed requests (which must get 4xx) and
 * predictions abandoned by their client half-way. Fails (exit 1) when:
 * - any response is a 5xx, or a malformed request is not answered 4xx JSON;
 * - memory grows after warm-up: the server's resident memory over the last third of the run
 *   exceeds the middle third's by more than the allowed growth (--max-growth-mb, default 48);
 * - an acknowledged prediction (among the newest, within the audit limit) is missing after a
 *   restart, or its feedback is.
 * Every loop is bounded by the deadline and by a request count; nothing leaves loopback.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'apps/cli/bin/glassbox.js');
const DEV_SPLIT = join(ROOT, '../shared/data/goemotions-ekman/dev.tsv');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    clients: { type: 'string', default: '8' },
    'max-growth-mb': { type: 'string', default: '48' },
    json: { type: 'string' },
    'serve-arg': { type: 'string', multiple: true, default: [] },
  },
});
/** Extra flags for `glassbox serve` (e.g. --no-calibration), after the defaults. */
const SERVE_ARGS = args['serve-arg'];
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const MAX_GROWTH_MB = Number(args['max-growth-mb']);
if (!(SECONDS >= 10) || !(CLIENTS >= 1 && CLIENTS <= 64) || !(MAX_GROWTH_MB > 0)) {
  process.stderr.write('soak: --seconds must be >= 10, --clients in [1, 64], --max-growth-mb > 0\n');
  process.exit(2);
}
/** Hard cap on requests, whatever the speed: the loop is bounded in count as well as in time. */
const MAX_REQUESTS = SECONDS * 2000;
/** Newest acknowledged predictions checked after the restart (the default audit limit is 10000). */
const CHECK_NEWEST = 5000;
const API_KEY = 'soak-key-' + process.pid;
/** Explanations in flight at most (the server runs 1 and queues 4 by default). */
const EXPLAINERS = 4;
/** Texts in an abandoned request: CLIENTS of them fit the default queue of 128 texts. */
const ABANDONED_TEXTS = 16;

function texts() {
  if (existsSync(DEV_SPLIT)) {
    const lines = readFileSync(DEV_SPLIT, 'utf8').split('\n').map((l) => l.split('\t')[0]).filter((t) => t && t.trim());
    return { list: lines.slice(0, 2000), source: 'GoEmotions dev split (first 2000 texts, read at run time)' };
  }
  const a = ['I', 'My sister', 'The team', 'Nobody', 'Our landlord', 'This film'];
  const b = ['loves', 'is furious about', 'is scared of', 'laughed at', 'is bored by', 'cried over'];
  const c = ['the news', 'the weather', 'that email', 'the ending', 'his promise', 'the bill'];
  const list = [];
  for (const x of a) for (const y of b) for (const z of c) list.push(`${x} ${y} ${z}.`);
  return { list, source: `${list.length} synthetic sentences (../shared absent)` };
}

function startServer(cwd) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...SERVE_ARGS], {
    cwd,
    env: { ...process.env, GLASSBOX_API_KEY: API_KEY, GLASSBOX_STATE: '', PORT: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 120 s:\n${log}`)), 120_000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolvePort({ child, base: `http://127.0.0.1:${m[1]}`, log: () => log });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${log}`));
    });
  });
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function main() {
  const corpus = texts();
  const cwd = mkdtempSync(join(tmpdir(), 'glassbox-soak-'));
  const figures = {
    seconds: SECONDS,
    clients: CLIENTS,
    texts: corpus.source,
    node: process.version,
    requests: 0,
    byKind: {},
    statuses: {},
    fiveXx: 0,
    badClientErrors: [],
    acknowledged: 0,
    feedbackAcknowledged: 0,
    aborted: 0,
    rssMb: { warmup: 0, middle: 0, last: 0, growth: 0, max: 0 },
    restart: { checked: 0, missing: 0, feedbackMissing: 0 },
  };
  let server = await startServer(cwd);
  const acked = []; // {id, token, feedback}
  const rss = [];
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  const sampler = setInterval(() => rss.push({ t: (Date.now() - started) / 1000, mb: rssMb(server.child.pid) }), 1000);
  let seq = 0;

  const count = (kind, status) => {
    figures.requests++;
    figures.byKind[kind] = (figures.byKind[kind] ?? 0) + 1;
    figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
    if (status >= 500) figures.fiveXx++;
  };
  const auth = { authorization: `Bearer ${API_KEY}` };
  const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let explaining = 0;
  const pick = (n) => Array.from({ length: n }, () => corpus.list[seq++ % corpus.list.length]);

  async function call(kind, path, init = {}, expect4xx = false) {
    const res = await fetch(server.base + path, init);
    const text = await res.text();
    count(kind, res.status);
    if (res.status >= 500 && figures.fiveXx <= 5) process.stderr.write(`soak: ${kind} ${path} -> ${res.status} ${text.slice(0, 200)}\n`);
    if (expect4xx) {
      let ok = res.status >= 400 && res.status < 500;
      try {
        const body = JSON.parse(text);
        ok &&= typeof body.error === 'string' && typeof body.error_type === 'string' && !/\n\s+at /.test(body.error);
      } catch {
        ok = false;
      }
      if (!ok && figures.badClientErrors.length < 20) figures.badClientErrors.push(`${kind}: ${res.status} ${text.slice(0, 120)}`);
    }
    return { status: res.status, text };
  }

  const actions = [
    // weight, action
    [50, async () => {
      const r = await call('predict', '/v1/predict', json({ inputs: pick(1 + (seq % 8)) }));
      if (r.status === 200) {
        for (const p of JSON.parse(r.text).predictions) {
          acked.push({ id: p.id, token: p.feedback_token ?? null, feedback: null });
          figures.acknowledged++;
        }
        if (acked.length > 2 * CHECK_NEWEST) acked.splice(0, acked.length - CHECK_NEWEST);
      }
    }],
    [8, async () => {
      if (acked.length === 0) return;
      const entry = acked[Math.floor(Math.random() * acked.length)];
      const label = ['anger', 'joy', 'sadness', 'neutral'][seq++ % 4];
      const body = { id: entry.id, label, ...(entry.token && { feedback_token: entry.token }) };
      const init = json(body);
      if (!entry.token) init.headers.authorization = `Bearer ${API_KEY}`;
      const r = await call('feedback', '/v1/feedback', init);
      if (r.status === 200) {
        entry.feedback = label;
        figures.feedbackAcknowledged++;
      }
    }],
    [6, async () => {
      // At most EXPLAINERS explanations in flight: within the server's explanation queue (1 running,
      // 4 waiting by default), as a client pool sized for its server would be. A soak measures
      // steady load within capacity; shedding beyond it is admission.test.ts's subject.
      if (explaining >= EXPLAINERS) return;
      explaining++;
      try {
        await call('explain', '/v1/explain', json({ inputs: pick(1)[0].slice(0, 200), granularity: 'word' }));
      } finally {
        explaining--;
      }
    }],
    [8, () => call('audit', `/v1/predictions?limit=20${seq % 2 ? '&label=joy' : ''}`, { headers: auth })],
    [6, () => call('health', seq % 2 ? '/health' : '/ready')],
    [4, () => call('tei', '/predict', json({ inputs: pick(1)[0] }))],
    [6, async () => {
      const bad = [
        ['/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' }],
        ['/v1/predict', json({ inputs: 42 })],
        ['/v1/predict', json({ inputs: [] })],
        ['/v1/predictions/not-an-id', {}],
        ['/v1/predictions?limit=-3', {}],
        ['/models/%ZZ', json({ inputs: 'x' })],
        ['/v1/nowhere', {}],
        ['/v1/feedback', json({ id: '00000000-0000-4000-8000-000000000000', label: 'joy' })],
      ][seq++ % 8];
      // With the key, so the refusal is the input's, not the access check's.
      await call('malformed', bad[0], { ...bad[1], headers: { ...bad[1].headers, ...auth } }, true);
    }],
    [4, async () => {
      // A client that gives up: the request is aborted soon after it is sent.
      const ac = new AbortController();
      const p = fetch(server.base + '/v1/predict', { ...json({ inputs: pick(ABANDONED_TEXTS) }), signal: ac.signal }).then((r) => r.text());
      setTimeout(() => ac.abort(), 2);
      try {
        await p;
      } catch {
        // aborted, as intended
      }
      figures.aborted++;
      figures.requests++;
    }],
  ];
  const total = actions.reduce((s, [w]) => s + w, 0);
  const choose = () => {
    let r = Math.random() * total;
    for (const [w, a] of actions) if ((r -= w) < 0) return a;
    return actions[0][1];
  };

  async function client() {
    while (Date.now() < deadline && figures.requests < MAX_REQUESTS) {
      try {
        await choose()();
      } catch (error) {
        figures.badClientErrors.push(`transport: ${error.message}`);
        if (figures.badClientErrors.length > 20) throw error;
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client));
  clearInterval(sampler);

  // Memory: after a warm-up of the first third, the last third against the middle third.
  const third = SECONDS / 3;
  const warm = rss.filter((s) => s.t < third).map((s) => s.mb);
  const middle = rss.filter((s) => s.t >= third && s.t < 2 * third).map((s) => s.mb);
  const last = rss.filter((s) => s.t >= 2 * third).map((s) => s.mb);
  figures.rssMb = {
    warmup: +median(warm).toFixed(1),
    middle: +median(middle).toFixed(1),
    last: +median(last).toFixed(1),
    growth: +(median(last) - median(middle)).toFixed(1),
    max: +Math.max(...rss.map((s) => s.mb)).toFixed(1),
  };

  // Restart (SIGTERM, then the same command in the same directory): acknowledged data is back.
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  server = await startServer(cwd);
  const newest = acked.slice(-CHECK_NEWEST);
  for (let i = 0; i < newest.length; i += 16) {
    await Promise.all(
      newest.slice(i, i + 16).map(async (entry) => {
        const res = await fetch(`${server.base}/v1/predictions/${entry.id}`, { headers: auth });
        figures.restart.checked++;
        if (res.status !== 200) {
          figures.restart.missing++;
          return;
        }
        const row = await res.json();
        if (entry.feedback !== null && row.feedback?.label !== entry.feedback) figures.restart.feedbackMissing++;
      }),
    );
  }
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  rmSync(cwd, { recursive: true, force: true });

  const failures = [];
  if (figures.fiveXx > 0) failures.push(`${figures.fiveXx} responses were 5xx`);
  if (figures.badClientErrors.length > 0) failures.push(`client errors not answered 4xx JSON: ${figures.badClientErrors.join(' | ')}`);
  if (figures.rssMb.growth > MAX_GROWTH_MB) failures.push(`memory grew ${figures.rssMb.growth} MB after warm-up (allowed ${MAX_GROWTH_MB})`);
  if (figures.restart.missing > 0) failures.push(`${figures.restart.missing} acknowledged predictions missing after restart`);
  if (figures.restart.feedbackMissing > 0) failures.push(`${figures.restart.feedbackMissing} acknowledged feedback missing after restart`);
  if (figures.acknowledged === 0) failures.push('no prediction was acknowledged');

  const rps = figures.requests / SECONDS;
  process.stdout.write(
    [
      `soak: ${SECONDS} s, ${CLIENTS} clients, glassbox serve${SERVE_ARGS.length ? ' ' + SERVE_ARGS.join(' ') : ' (defaults)'}, ${figures.requests} requests (${rps.toFixed(1)}/s), texts: ${corpus.source}`,
      `soak: statuses ${JSON.stringify(figures.statuses)}; by kind ${JSON.stringify(figures.byKind)}`,
      `soak: ${figures.acknowledged} predictions and ${figures.feedbackAcknowledged} feedback acknowledged; ${figures.aborted} requests abandoned by their client`,
      `soak: server RSS median ${figures.rssMb.warmup} MB (warm-up), ${figures.rssMb.middle} MB (middle third), ${figures.rssMb.last} MB (last third), max ${figures.rssMb.max} MB`,
      `soak: after restart ${figures.restart.checked} newest acknowledged predictions checked, ${figures.restart.missing} missing, ${figures.restart.feedbackMissing} feedback missing`,
      failures.length ? `soak: FAILED: ${failures.join('; ')}` : 'soak: passed (0 5xx, memory flat after warm-up, nothing acknowledged was lost)',
      '',
    ].join('\n'),
  );
  if (args.json) writeFileSync(args.json, JSON.stringify(figures, null, 2) + '\n');
  process.exit(failures.length ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`soak: ${error.stack ?? error}\n`);
  process.exit(1);
});
