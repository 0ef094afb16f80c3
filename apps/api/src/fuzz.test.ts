import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextSchema } from './request-validation.js';
import { countByRoute, generateFuzzCases, type Expectation, type FuzzCase, type OpenApiDocument } from './test-fuzz-cases.js';
import { MODEL_DIR, referenceFor, startTestServer, type TestServer } from './test-server.js';

// Every route in /openapi.json gets hundreds of hostile requests (test-fuzz-cases.ts makes them
// from the document, so a new route is covered as soon as it is documented). Each must get a
// 4xx JSON error, or a 2xx where its generator says the input is valid; never a 5xx, a stack
// trace or a server path; and the server must be healthy afterwards.

const KEY = 'fuzz-test-key';
const CONCURRENCY = 6;
/** Only stops a hung request; a case that reaches it fails as a hang. */
const CASE_TIMEOUT_MS = 30_000;
const BODY_LIMIT = 128 * 1024;
const REPO_ROOT = dirname(dirname(MODEL_DIR));
const HAPPY = 'I am so happy, what a wonderful day';

interface Outcome {
  status: number;
  contentType: string;
  text: string;
}

function send(base: URL, agent: Agent, c: FuzzCase): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...c.headers };
    if (c.body !== undefined) headers['content-length'] = c.body.length;
    const req = request({ host: base.hostname, port: base.port, method: c.method, path: c.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(CASE_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${CASE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(c.body);
  });
}

/** What is wrong with an outcome, or null. */
function judge(c: FuzzCase, out: Outcome, expect: Exclude<Expectation, 'like-base'>): string | null {
  const { status, text } = out;
  if (status >= 500) return `answered ${status}: ${text.slice(0, 200)}`;
  if (/\n\s+at \S|\bat .+:\d+:\d+\)/.test(text)) return `stack trace in the body: ${text.slice(0, 200)}`;
  const is4xx = status >= 400 && status < 500;
  const is2xx = status >= 200 && status < 300;
  if (expect === '4xx' && !is4xx) return `expected a 4xx, got ${status}: ${text.slice(0, 120)}`;
  if (expect === '2xx' && !is2xx) return `expected a 2xx, got ${status}: ${text.slice(0, 200)}`;
  if (expect === 'any' && !is4xx && !is2xx) return `expected a 2xx or 4xx, got ${status}`;
  if (is4xx) {
    if (text.includes(REPO_ROOT) || text.includes('node_modules') || text.includes('file://')) return `server path in the error: ${text.slice(0, 200)}`;
    if (!out.contentType.startsWith('application/json')) return `${status} with content type "${out.contentType}"`;
    let body: { error?: unknown; error_type?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      return `${status} with a body that is not JSON: ${text.slice(0, 120)}`;
    }
    if (typeof body.error !== 'string' || typeof body.error_type !== 'string') return `${status} without {error, error_type}: ${text.slice(0, 120)}`;
    if (body.error.length > 1100) return `${status} with a ${body.error.length}-character message`;
    if (c.errorType !== undefined && body.error_type !== c.errorType) return `expected error_type ${c.errorType}, got ${body.error_type}`;
  }
  return null;
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

describe('fuzzing every route in /openapi.json', () => {
  let t: TestServer;
  let dir = '';
  const internalErrors: unknown[] = [];
  const logLines: string[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  beforeAll(async () => {
    // Monitor, state database and stored texts on, so their routes answer rather than 404.
    dir = await mkdtemp(join(tmpdir(), 'glassbox-fuzz-'));
    const referencePath = join(dir, 'reference.json');
    await writeFile(referencePath, JSON.stringify(await referenceFor(Array.from({ length: 40 }, (_, i) => `${HAPPY} ${i}`))));
    t = await startTestServer({
      referencePath,
      statePath: join(dir, 'state.db'),
      storeText: true,
      apiKey: KEY,
      bodyLimit: BODY_LIMIT,
      // Room for every concurrent case: shedding under load (503 OVERLOADED) is admission.test.ts's
      // subject; here every answer must come from reading the input.
      maxQueuedExplanations: CONCURRENCY,
      onError: (error) => internalErrors.push(error),
      log: { write: (line: string) => logLines.push(line) },
    });
  });
  afterAll(async () => {
    agent.destroy();
    await t?.server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers every generated case with a 4xx JSON error or a valid 2xx, never a 5xx, and stays healthy', { timeout: 600_000 }, async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const doc = (await t.get('/openapi.json', auth)).body as OpenApiDocument;
    const predicted = await t.post('/v1/predict', { inputs: HAPPY }, auth);
    expect(predicted.status).toBe(200);
    const predictionId = predicted.body.predictions[0].id as string;
    const model = t.server.modelName;
    const rows = Array.from({ length: 20 }, (_, i) => ({ text: `${HAPPY} ${i}`, label: i % 2 === 0 ? 'joy' : 'sadness' }));

    const cases = generateFuzzCases(doc, {
      headers: auth,
      pathValues: { model, name: model, id: predictionId },
      baseBodies: {
        oipInfer: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: [HAPPY] }] },
        postFeedback: { id: predictionId, label: 'joy' },
        fitCalibration: { rows },
        selectCalibration: { version: 'v1' },
      },
      textPaths: { oipInfer: [['inputs', 0, 'data', 0]], fitCalibration: [['rows', 0, 'text']] },
      oversizeBytes: BODY_LIMIT + 1024,
      textDescription: TextSchema.description,
      // Valid JSON under another media type: 'any' until JSON routes refuse it with 415.
      wrongContentType: '4xx',
    });

    // Every documented operation is fuzzed.
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const counts = countByRoute(cases);
    expect(Object.keys(counts).sort()).toEqual([...operations].sort());
    expect(cases.length).toBeGreaterThan(1000);

    const base = new URL(t.base);
    const failures: string[] = [];
    const baseStatus = new Map<string, number>();
    const statuses: Record<string, number> = {};
    const check = async (c: FuzzCase) => {
      let out: Outcome;
      try {
        out = await send(base, agent, c);
      } catch (error) {
        failures.push(`${c.method} ${c.path.slice(0, 80)} [${c.kind}: ${c.name}]: ${(error as Error).message}`);
        return;
      }
      if (c.base) baseStatus.set(c.route, out.status);
      statuses[`${Math.floor(out.status / 100)}xx`] = (statuses[`${Math.floor(out.status / 100)}xx`] ?? 0) + 1;
      const expectation = c.expect === 'like-base' ? ((baseStatus.get(c.route) ?? 0) < 300 ? '2xx' : 'any') : c.expect;
      const problem = judge(c, out, expectation);
      if (problem) failures.push(`${c.method} ${c.path.slice(0, 80)} [${c.kind}: ${c.name}]: ${problem}`);
    };
    // Base requests first (like-base cases compare with them), then everything else, concurrently.
    for (const c of cases.filter((x) => x.base)) await check(c);
    await pool(
      cases.filter((x) => !x.base),
      CONCURRENCY,
      check,
    );

    const kinds = countByRoute(cases.map((c) => ({ ...c, route: c.kind })));
    console.log(
      `fuzz: ${cases.length} cases\n${Object.entries(counts)
        .map(([route, n]) => `  ${String(n).padStart(5)}  ${route} (base request: ${baseStatus.get(route)})`)
        .join('\n')}\n  by kind: ${JSON.stringify(kinds)}\n  answers: ${JSON.stringify(statuses)}`,
    );
    expect(failures.slice(0, 40), `${failures.length} of ${cases.length} cases failed`).toEqual([]);

    // The prediction routes' base requests are valid, so their unicode cases really expected 200.
    for (const route of ['POST /v1/predict', 'POST /predict', 'POST /models/{model}', 'POST /v2/models/{name}/infer']) expect(baseStatus.get(route), route).toBe(200);

    // Still healthy, nothing reached the error handler, nothing polluted, one log line per class.
    expect((await t.get('/health')).status).toBe(200);
    const after = await t.post('/v1/predict', { inputs: [HAPPY, 'this is awful'] }, auth);
    expect(after.status).toBe(200);
    expect(after.body.predictions).toHaveLength(2);
    expect(internalErrors).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    const classes = logLines.map((l) => JSON.parse(l) as { event: string; error_type?: string }).filter((l) => l.event === 'glassbox.client_error');
    expect(classes.length).toBeGreaterThan(0);
    expect(new Set(classes.map((l) => l.error_type)).size).toBe(classes.length);
    expect(logLines.join('')).not.toMatch(/\n\s+at \S/);
  });
});
