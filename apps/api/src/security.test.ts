import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminAccess, isLoopbackAddress, isLoopbackHost } from './access-control.js';
import { ApiError } from './api-errors.js';
import { createFeedbackTokens } from './feedback-token.js';
import { createHostMatcher, hostName } from './host-check.js';
import { createPathRedactor } from './redact-paths.js';
import { MODEL_DIR, startTestServer, type TestServer } from './test-server.js';

const KEY = 'test-key-security';
const AUTH = { authorization: `Bearer ${KEY}` };
const quiet = { log: { write: () => true } };

/** A raw HTTP request, so the Host header can be anything. */
function raw(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A stand-in for an Express request from `remoteAddress` with `headers`. */
const fakeRequest = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers, get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;

const thrown = (fn: () => void): ApiError | null => {
  try {
    fn();
    return null;
  } catch (error) {
    return error as ApiError;
  }
};

describe('admin and write routes', () => {
  it('without a key: loopback clients only; with one: the bearer key', () => {
    const open = createAdminAccess(null);
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(thrown(() => open.check(fakeRequest(address))), address).toBeNull();
    for (const address of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', 'fe80::1', '0.0.0.0']) {
      expect(thrown(() => open.check(fakeRequest(address)))?.code, address).toBe('FORBIDDEN');
    }
    // A proxy on this machine forwarding someone else's request is not a local client.
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      expect(thrown(() => open.check(fakeRequest('127.0.0.1', { [header]: '203.0.113.9' })))?.code, header).toBe('FORBIDDEN');
    }
    // Pages of other origins are refused even on loopback (CORS may let them through); the
    // server's own origin (its dashboard) and requests without an Origin pass.
    for (const origin of ['https://evil.example', 'null', 'http://localhost:9999']) {
      expect(thrown(() => open.check(fakeRequest('127.0.0.1', { origin, host: '127.0.0.1:8080' })))?.code, origin).toBe('FORBIDDEN');
    }
    expect(thrown(() => open.check(fakeRequest('127.0.0.1', { origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' })))).toBeNull();
    const keyed = createAdminAccess(KEY);
    expect(thrown(() => keyed.check(fakeRequest('127.0.0.1')))?.code).toBe('UNAUTHORIZED');
    expect(thrown(() => keyed.check(fakeRequest('127.0.0.1', { authorization: 'Bearer nope' })))?.code).toBe('UNAUTHORIZED');
    expect(thrown(() => keyed.check(fakeRequest('10.0.0.5', { authorization: `Bearer ${KEY}` })))).toBeNull();
  });

  it('tells loopback addresses and hosts from others', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.2'].every(isLoopbackAddress)).toBe(true);
    expect([undefined, '128.0.0.1', '1.127.0.0', '::2', 'localhost'].some(isLoopbackAddress)).toBe(false);
    expect(['127.0.0.1', 'localhost', 'LOCALHOST', 'api.localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '', '192.168.1.2', 'example.com', 'localhost.example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('from loopback without a key: open, with a startup warning', async () => {
    const lines: string[] = [];
    const t = await startTestServer({ workers: 0, log: { write: (l: string) => lines.push(l) } });
    try {
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', event: 'glassbox.security.no_api_key' });
      expect((await t.get('/admin/stats')).status).toBe(200);
      expect((await t.get('/v1/predictions')).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });

  it('without a key, a page of another origin is refused even when CORS allows it', async () => {
    const t = await startTestServer({ workers: 0, cors: ['https://app.example'], ...quiet });
    try {
      const fromApp = await t.post('/v1/calibration/select', { version: 'v1' }, { origin: 'https://app.example' });
      expect(fromApp.status).toBe(403);
      expect(fromApp.body.error_type).toBe('FORBIDDEN');
      expect((await t.get('/v1/predictions', { origin: 'https://app.example' })).status).toBe(403);
      // Its inference routes stay open to it, as CORS says.
      expect((await t.post('/v1/predict', { inputs: ['hi'] }, { origin: 'https://app.example' })).status).toBe(200);
      expect((await t.get('/v1/predictions', { origin: t.base })).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });

  it('refuses to listen beyond loopback without a key', async () => {
    const { createApiServer } = await import('./api-server.js');
    const server = await createApiServer({ modelDir: MODEL_DIR, workers: 0, ...quiet });
    try {
      for (const host of ['0.0.0.0', '::']) {
        await expect(server.listen(0, host)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/without an API key/) });
      }
      // Still free to listen on loopback afterwards.
      expect((await server.listen(0, '127.0.0.1')).port).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});

describe('Host header allow-list (DNS rebinding)', () => {
  it('parses and matches names', () => {
    expect(hostName('Example.COM:8080')).toBe('example.com');
    expect(hostName('[::1]:8080')).toBe('::1');
    expect(hostName('::1')).toBe('::1');
    const match = createHostMatcher(['glassbox.internal', '*.corp.example', '.svc.cluster.local']);
    for (const ok of [undefined, 'localhost', 'localhost:8080', 'app.localhost', '127.0.0.1:80', '[::1]:8080', '10.1.2.3', 'glassbox.internal:443', 'GLASSBOX.internal.', 'a.corp.example', 'glassbox.ns.svc.cluster.local']) {
      expect(match(ok), String(ok)).toBe(true);
    }
    for (const bad of ['', 'evil.example', 'glassbox.internal.evil.example', 'corp.example', 'localhost.evil.example', 'xcorp.example', 'svc.cluster.local']) {
      expect(match(bad), bad).toBe(false);
    }
    expect(createHostMatcher(['*'])('anything.example')).toBe(true);
  });

  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: 0, allowedHosts: ['glassbox.internal'], ...quiet });
  });
  afterAll(async () => {
    await t?.server.close();
  });

  it('refuses a rebinding name with 403 HOST_NOT_ALLOWED; loopback names, IPs and configured names pass', async () => {
    const port = new URL(t.base).port;
    const rebound = await raw(t.base, '/v1/predictions', { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error_type: 'HOST_NOT_ALLOWED' });
    expect(rebound.body).not.toContain('attacker'); // the header is not echoed
    expect((await raw(t.base, '/', { host: 'attacker.example' })).status).toBe(403);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'glassbox.internal', `dash.localhost:${port}`]) {
      expect((await raw(t.base, '/v1/predictions', { host })).status, host).toBe(200);
    }
  });

  it("'*' turns the check off", async () => {
    const open = await startTestServer({ workers: 0, allowedHosts: ['*'], ...quiet });
    try {
      expect((await raw(open.base, '/health', { host: 'attacker.example' })).status).toBe(200);
    } finally {
      await open.server.close();
    }
  });
});

describe('security headers', () => {
  let dir: string;
  let t: TestServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-security-'));
    const dist = join(dir, 'dist');
    await mkdir(dist, { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>glassbox</title><script type="module" src="/assets/main.js"></script>');
    const calibrationDir = join(dir, 'calibrations');
    t = await startTestServer({ workers: 0, dashboardDir: dist, calibrationDir, storeText: true, ...quiet });
  });
  afterAll(async () => {
    await t?.server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const expectHelmet = (headers: Headers, what: string) => {
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp, what).toContain("script-src 'self'");
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain("default-src 'self'");
    expect(csp, what).not.toContain('unsafe-inline');
    expect(csp, what).not.toContain('unsafe-eval');
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    expect(headers.get('referrer-policy'), what).toBe('no-referrer');
    expect(headers.get('x-powered-by'), what).toBeNull();
  };

  it('are on the dashboard, the API and errors', async () => {
    const page = await fetch(`${t.base}/`);
    expect(page.status).toBe(200);
    expectHelmet(page.headers, 'dashboard');
    expectHelmet((await t.post('/v1/predict', { inputs: ['hello'] })).headers, 'predict');
    expectHelmet((await t.get('/no-such-route')).headers, '404');
    expectHelmet((await t.post('/v1/predict', 'x', { 'content-type': 'text/plain' })).headers, '415');
  });

  it('API replies are never cached; dashboard files may be', async () => {
    const id = (await t.post('/v1/predict', { inputs: ['I love this'] })).body.predictions[0].id;
    for (const path of ['/v1/predictions', `/v1/predictions/${id}`, '/admin/config', '/admin/stats', '/v1/calibration/versions', '/openapi.json', '/nope']) {
      expect((await t.get(path)).headers.get('cache-control'), path).toBe('no-store');
    }
    expect((await t.post('/v1/predict', { inputs: ['x'] })).headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${t.base}/`)).headers.get('cache-control')).not.toBe('no-store');
  });

  it('no response carries an absolute path of this machine', async () => {
    const config = await t.get('/admin/config');
    expect(config.status).toBe(200);
    expect(config.body.modelDirs).toEqual(['emotion-mini']);
    expect(config.body.calibrationDir).toBe('calibrations');
    expect(config.body.dashboardDir).toBe('dist');
    for (const text of [config.text, (await t.get('/openapi.json')).text, (await t.get('/info')).text, (await t.get('/v2/models/emotion-mini')).text]) {
      expect(text).not.toContain(dir);
      expect(text).not.toContain(MODEL_DIR);
      expect(text).not.toContain(process.cwd());
    }
  });

  it('a failing calibration write answers without its path', async () => {
    const blocked = join(dir, 'not-a-dir');
    await writeFile(blocked, 'a file where the calibration directory should be');
    const errors: unknown[] = [];
    const broken = await startTestServer({ workers: 0, calibrationDir: blocked, onError: (e) => errors.push(e), ...quiet });
    try {
      const rows = Array.from({ length: 20 }, (_, i) => ({ text: `text ${i}`, label: 'joy' }));
      const res = await broken.post('/v1/calibration/fit', { rows });
      expect(res.status).toBe(500);
      expect(res.body.error_type).toBe('INTERNAL');
      expect(res.text).not.toContain(dir);
      expect(String(errors[0])).toContain('not-a-dir'); // the operator's handler gets the details
    } finally {
      await broken.server.close();
    }
  });

  it('redacts paths inside messages', () => {
    const redact = createPathRedactor(['/srv/glassbox/state.db', '/srv/glassbox/calibrations/', 'relative/models/mini']);
    expect(redact('cannot write feedback in /srv/glassbox/state.db: disk full')).toBe('cannot write feedback in state.db: disk full');
    expect(redact('EACCES: open "/srv/glassbox/calibrations/calibration-v2.json"')).toBe('EACCES: open "calibrations/calibration-v2.json"');
    expect(redact(`no bundle at ${join(process.cwd(), 'relative/models/mini')}.`)).toBe('no bundle at mini.');
    expect(redact(`${process.cwd()}/elsewhere`)).toBe('./elsewhere');
    expect(redact('/srv/glassbox/state.dbx and GET /v1/predict')).toBe('/srv/glassbox/state.dbx and GET /v1/predict');
  });
});

describe('feedback', () => {
  it('tokens are per prediction and per secret', () => {
    const a = createFeedbackTokens(Buffer.alloc(32, 1));
    const b = createFeedbackTokens(Buffer.alloc(32, 2));
    const token = a.sign('p1');
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(a.verify('p1', token)).toBe(true);
    expect(a.verify('p2', token)).toBe(false);
    expect(b.verify('p1', token)).toBe(false);
    expect(a.verify('p1', `${token}=`)).toBe(false);
    expect(a.verify('p1', '')).toBe(false);
    expect(() => createFeedbackTokens(Buffer.alloc(8))).toThrow(RangeError);
  });

  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: 0, apiKey: KEY, ...quiet });
  });
  afterAll(async () => {
    await t?.server.close();
  });

  it('with the prediction token or the key; a wrong or missing token is refused; a correction appends', async () => {
    const [first, second] = (await t.post('/v1/predict', { inputs: ['I am so happy', 'I am so sad'] })).body.predictions;
    expect(first.feedback_token).toEqual(expect.any(String));
    expect(first.feedback_token).not.toBe(second.feedback_token);

    const missing = await t.post('/v1/feedback', { id: first.id, label: 'anger' });
    expect(missing.status).toBe(401);
    expect(missing.body.error_type).toBe('UNAUTHORIZED');
    const wrong = await t.post('/v1/feedback', { id: first.id, label: 'anger', feedback_token: second.feedback_token });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error_type).toBe('FORBIDDEN');
    // A wrong token is refused even with the key: the request says it relies on the token.
    expect((await t.post('/v1/feedback', { id: first.id, label: 'anger', feedback_token: 'x' }, AUTH)).status).toBe(403);
    expect((await t.get(`/v1/predictions/${first.id}`, AUTH)).body.feedback_history).toEqual([]);

    const ok = await t.post('/v1/feedback', { id: first.id, label: 'anger', feedback_token: first.feedback_token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: first.id, label: 'anger' });
    const corrected = await t.post('/v1/feedback', { id: first.id, label: first.label }, AUTH);
    expect(corrected.status).toBe(200);
    expect(corrected.body.correct).toBe(true);

    const entry = (await t.get(`/v1/predictions/${first.id}`, AUTH)).body;
    expect(entry.feedback).toMatchObject({ label: first.label, correct: true });
    expect(entry.feedback_history).toEqual([
      { label: 'anger', correct: first.label === 'anger', time: expect.any(String) },
      { label: first.label, correct: true, time: expect.any(String) },
    ]);
    // Filters follow the latest feedback.
    const ids = async (query: string) => (await t.get(`/v1/predictions?${query}`, AUTH)).body.predictions.map((p: { id: string }) => p.id);
    expect(await ids('correct=true')).toEqual([first.id]);
    expect(await ids('correct=false')).toEqual([]);
    expect(await ids('feedback=false')).toEqual([second.id]);
  });

  it('is documented: the token in /v1/predict and /v1/feedback, 401/403/415 on write routes', async () => {
    const doc = (await t.get('/openapi.json')).body;
    const prediction = doc.paths['/v1/predict'].post.responses['200'].content['application/json'].schema.properties.predictions.items;
    expect(prediction.properties.feedback_token.description).toMatch(/\/v1\/feedback/);
    const feedback = doc.paths['/v1/feedback'].post;
    expect(feedback.requestBody.content['application/json'].schema.properties.feedback_token.description).toMatch(/API key/);
    expect(Object.keys(feedback.responses)).toEqual(expect.arrayContaining(['401', '403', '415']));
    expect(feedback.security).toEqual([{ bearer: [] }, {}]);
    expect(Object.keys(doc.paths['/v1/calibration/fit'].post.responses)).toEqual(expect.arrayContaining(['401', '403', '415']));
  });
});
