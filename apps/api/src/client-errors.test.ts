import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { API_ERROR_CODES, ApiError } from './api-errors.js';
import { resolveApiOptions } from './api-options.js';
import { MAX_JSON_DEPTH, clientErrorReply, createClientErrorGuard, createClientErrorLog, nestsDeeperThan, serverOptions } from './client-errors.js';
import { flattenData } from './routes/oip-routes.js';
import { MODEL_DIR, startTestServer, type TestServer } from './test-server.js';

function nestedArray(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan([], 0)).toBe(true);
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true);
    expect(nestsDeeperThan(nestedArray(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nestedArray(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('walks a million levels without the stack, and wide bodies stay shallow', () => {
    expect(nestsDeeperThan(JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan({ inputs: Array.from({ length: 10_000 }, (_, i) => ({ text: `t${i}` })) }, 3)).toBe(false);
  });
});

describe('flattenData (OIP)', () => {
  it('flattens in row-major order', () => {
    expect(flattenData([['a'], ['b', ['c']], 'd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(flattenData([])).toEqual([]);
  });

  it('refuses nesting past the depth limit with BODY_TOO_DEEP, however deep', () => {
    for (const depth of [MAX_JSON_DEPTH + 1, 200_000]) {
      let caught: unknown;
      try {
        flattenData([nestedArray(depth)]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect((caught as ApiError).code).toBe('BODY_TOO_DEEP');
    }
    expect(flattenData([nestedArray(MAX_JSON_DEPTH - 2)])).toEqual(['x']);
  });
});

describe('createClientErrorLog', () => {
  it('logs the first error of each class, then counts, with at most one summary per interval', () => {
    const lines: string[] = [];
    let now = 0;
    const log = createClientErrorLog({ log: { write: (l: string) => lines.push(l) }, summaryIntervalMs: 60_000, now: () => now });
    for (let i = 0; i < 100; i++) log.note('INVALID_PATH', 400, 'bad %');
    log.note('REQUEST_TIMEOUT', 408, 'slow');
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'warn', event: 'glassbox.client_error', error_type: 'INVALID_PATH', status: 400 }),
      expect.objectContaining({ level: 'warn', event: 'glassbox.client_error', error_type: 'REQUEST_TIMEOUT', status: 408 }),
    ]);
    expect(log.counts()).toEqual({ INVALID_PATH: 100, REQUEST_TIMEOUT: 1 });

    now = 60_000;
    log.note('INVALID_PATH', 400, 'bad %');
    log.note('INVALID_PATH', 400, 'bad %');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2])).toMatchObject({ event: 'glassbox.client_error.counts', counts: { INVALID_PATH: 100 } });
    now = 119_999;
    log.note('INVALID_PATH', 400, 'bad %');
    expect(lines).toHaveLength(3);
    now = 120_000;
    log.note('REQUEST_TIMEOUT', 408, 'slow');
    expect(JSON.parse(lines[3])).toMatchObject({ counts: { INVALID_PATH: 2, REQUEST_TIMEOUT: 1 } });
    expect(log.counts()).toEqual({ INVALID_PATH: 103, REQUEST_TIMEOUT: 2 });
  });

  it('survives a sink that throws', () => {
    const log = createClientErrorLog({
      log: {
        write: () => {
          throw new Error('disk full');
        },
      },
    });
    expect(() => log.note('INVALID_BODY', 400, 'x')).not.toThrow();
    expect(log.counts()).toEqual({ INVALID_BODY: 1 });
  });
});

describe('clientErrorReply', () => {
  it('maps Node parser errors and timeouts to codes', () => {
    const longLine = Buffer.from(`GET /health?${'a'.repeat(20_000)}`);
    expect(clientErrorReply({ code: 'HPE_HEADER_OVERFLOW', rawPacket: longLine })?.code).toBe('URI_TOO_LONG');
    const longHeader = Buffer.from(`GET /health HTTP/1.1\r\nHost: a\r\nX-A: ${'a'.repeat(20_000)}`);
    expect(clientErrorReply({ code: 'HPE_HEADER_OVERFLOW', rawPacket: longHeader })?.code).toBe('HEADERS_TOO_LARGE');
    expect(clientErrorReply({ code: 'HPE_HEADER_OVERFLOW' })?.code).toBe('HEADERS_TOO_LARGE');
    expect(clientErrorReply({ code: 'ERR_HTTP_REQUEST_TIMEOUT' })?.code).toBe('REQUEST_TIMEOUT');
    expect(clientErrorReply({ code: 'HPE_INVALID_METHOD' })?.code).toBe('MALFORMED_REQUEST');
    expect(clientErrorReply({ code: 'HPE_INVALID_URL' })?.code).toBe('INVALID_PATH');
    expect(clientErrorReply({ code: 'ECONNRESET' })).toBeNull();
  });
});

describe('docs/errors.md', () => {
  it('documents the codes for malformed, oversized and slow requests', () => {
    const doc = readFileSync(join(dirname(dirname(MODEL_DIR)), 'docs', 'errors.md'), 'utf8');
    for (const code of ['INVALID_PATH', 'INVALID_BODY', 'BODY_TOO_DEEP', 'MALFORMED_REQUEST', 'REQUEST_TIMEOUT', 'URI_TOO_LONG', 'EXPECTATION_FAILED', 'HEADERS_TOO_LARGE']) {
      expect(doc, code).toContain(`| \`${code}\` | ${API_ERROR_CODES[code as keyof typeof API_ERROR_CODES].status} |`);
    }
  });
});

describe('timeout options', () => {
  it('defaults to 30 s per request, 10 s for headers, 5 s keep-alive, and checks them', () => {
    const resolved = resolveApiOptions({ modelDir: MODEL_DIR });
    expect(resolved).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 });
    expect(resolveApiOptions({ modelDir: MODEL_DIR, requestTimeoutMs: 500 }).headersTimeoutMs).toBe(500);
    expect(serverOptions(resolved)).toMatchObject({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1000 });
    for (const bad of [{ requestTimeoutMs: 0 }, { requestTimeoutMs: 1.5 }, { headersTimeoutMs: -1 }, { requestTimeoutMs: 1000, headersTimeoutMs: 2000 }, { keepAliveTimeoutMs: 'long' }]) {
      expect(() => resolveApiOptions({ modelDir: MODEL_DIR, ...(bad as object) }), JSON.stringify(bad)).toThrow(GlassboxError);
    }
  });
});

interface RawReply {
  status: number;
  headers: string;
  body: string;
}

/** Writes raw bytes to the server and reads until it closes the connection. */
function raw(port: number, data: string | Buffer, options: { end?: boolean } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: split < 0 ? text : text.slice(0, split), body: split < 0 ? '' : text.slice(split + 4) });
    });
    if (data.length > 0) socket.write(data);
    if (options.end) socket.end();
  });
}

function jsonError(reply: { body: string }): { error: string; error_type: string } {
  const body = JSON.parse(reply.body) as { error: string; error_type: string };
  expect(typeof body.error).toBe('string');
  expect(body.error).not.toMatch(/\n\s+at |node_modules|\/work\//);
  return body;
}

describe('a server facing malformed, oversized and slow clients', () => {
  let t: TestServer;
  let port = 0;
  let host = '';
  const logLines: string[] = [];
  const internalErrors: unknown[] = [];

  beforeAll(async () => {
    t = await startTestServer({
      requestTimeoutMs: 400,
      headersTimeoutMs: 200,
      log: { write: (l: string) => logLines.push(l) },
      onError: (e) => internalErrors.push(e),
    });
    port = Number(new URL(t.base).port);
    host = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await t?.server.close();
  });

  it('answers malformed percent-encoding in a path with 400 INVALID_PATH on every kind of route', async () => {
    for (const path of ['/models/%ZZ', '/v2/models/%ZZ/infer', '/models/%E0%A4%A', '/models/abc%']) {
      const r = await t.post(path, { inputs: 'hi' });
      expect([r.status, r.body?.error_type], path).toEqual([400, 'INVALID_PATH']);
    }
    for (const path of ['/v2/models/%ZZ', '/v1/predictions/%FF', '/no/such/%ZZ']) {
      const r = await t.get(path);
      expect([r.status, r.body?.error_type], path).toEqual([400, 'INVALID_PATH']);
    }
  });

  it('answers unreadable compressed bodies with 400 INVALID_BODY, unknown encodings with 415, valid ones normally', async () => {
    const body = Buffer.from(JSON.stringify({ inputs: 'I am so happy' }));
    const send = (encoding: string, data: Buffer) =>
      fetch(`${t.base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: data }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error_type?: string } }));
    for (const [encoding, data] of [
      ['gzip', Buffer.from('not gzip')],
      ['gzip', gzipSync(body).subarray(0, 12)],
      ['deflate', Buffer.from('not deflate')],
      ['br', Buffer.from('not brotli at all')],
    ] as const) {
      const r = await send(encoding, data);
      expect([r.status, r.body.error_type], encoding).toEqual([400, 'INVALID_BODY']);
    }
    expect((await send('x-unknown', body)).body.error_type).toBe('UNSUPPORTED_ENCODING');
    expect((await send('gzip', gzipSync(body))).status).toBe(200);
    expect((await send('br', brotliCompressSync(body))).status).toBe(200);
  });

  it('answers deeply nested JSON with 400 BODY_TOO_DEEP, OIP data included', async () => {
    const deep = `${'['.repeat(50_000)}"x"${']'.repeat(50_000)}`;
    const predict = await t.post('/v1/predict', `{"inputs":${deep}}`);
    expect([predict.status, predict.body.error_type]).toEqual([400, 'BODY_TOO_DEEP']);
    const infer = await t.post(`/v2/models/${t.server.modelName}/infer`, `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":[${deep}]}]}`);
    expect([infer.status, infer.body.error_type]).toEqual([400, 'BODY_TOO_DEEP']);
    const fine = await t.post(`/v2/models/${t.server.modelName}/infer`, { inputs: [{ name: 'text', shape: [2, 1], datatype: 'BYTES', data: [['happy'], ['sad']] }] });
    expect(fine.status).toBe(200);
  });

  it('answers a body shorter than its Content-Length with 408 REQUEST_TIMEOUT and closes the connection', async () => {
    const r = await raw(port, `POST /v1/predict HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inputs":`);
    expect(r.status).toBe(408);
    expect(r.headers).toMatch(/content-type: application\/json/i);
    expect(jsonError(r).error_type).toBe('REQUEST_TIMEOUT');
  });

  it('answers headers that never end, and a connection that sends nothing, with 408', async () => {
    const partial = await raw(port, `GET /health HTTP/1.1\r\nHost: ${host}\r\nX-Slow: 1\r\n`);
    expect([partial.status, jsonError(partial).error_type]).toEqual([408, 'REQUEST_TIMEOUT']);
    const silent = await raw(port, '');
    expect([silent.status, jsonError(silent).error_type]).toEqual([408, 'REQUEST_TIMEOUT']);
  });

  it('answers a long URL with 414 (or 431) JSON and oversized headers with 431 JSON', async () => {
    const url = await raw(port, `GET /v1/predictions?label=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expect([414, 431]).toContain(url.status);
    expect(['URI_TOO_LONG', 'HEADERS_TOO_LARGE']).toContain(jsonError(url).error_type);
    const headers = await raw(port, `GET /health HTTP/1.1\r\nHost: ${host}\r\n${Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'b'.repeat(1000)}\r\n`).join('')}\r\n`);
    expect([headers.status, jsonError(headers).error_type]).toEqual([431, 'HEADERS_TOO_LARGE']);
  });

  it('answers malformed requests with 400 JSON', async () => {
    for (const request of [
      'GARBAGE\r\n\r\n',
      `GET /health HTTP/9.9\r\nHost: ${host}\r\n\r\n`,
      `GET /health HTTP/1.1\r\nHost: ${host}\r\nBad Header\r\n\r\n`,
      `POST /v1/predict HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /v1/predict HTTP/1.1\r\nHost: ${host}\r\nContent-Length: abc\r\n\r\n`,
      `POST /v1/predict HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n`,
    ]) {
      const r = await raw(port, request);
      expect(r.status, request.slice(0, 60)).toBe(400);
      expect(jsonError(r).error_type).toBe('MALFORMED_REQUEST');
    }
    // The client closes its side mid-request.
    const cut = await raw(port, `GET /health HTTP/1.1\r\nHost: ${host}\r\n`, { end: true });
    expect([cut.status, jsonError(cut).error_type]).toEqual([400, 'MALFORMED_REQUEST']);
    // No Host header (a Host allow-list may refuse it first: any 4xx JSON then).
    const noHost = await raw(port, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(noHost.status).toBeGreaterThanOrEqual(400);
    expect(noHost.status).toBeLessThan(500);
    expect(['MALFORMED_REQUEST', 'HOST_NOT_ALLOWED']).toContain(jsonError(noHost).error_type);
  });

  it('answers CONNECT with 405 and an unknown Expect with 417, in JSON', async () => {
    const proxy = await raw(port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`);
    expect([proxy.status, jsonError(proxy).error_type]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    const expectation = await raw(port, `POST /v1/predict HTTP/1.1\r\nHost: ${host}\r\nExpect: something\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    expect([expectation.status, jsonError(expectation).error_type]).toEqual([417, 'EXPECTATION_FAILED']);
  });

  it('caps error messages that quote a huge input', async () => {
    const r = await t.get(`/v1/predictions?label=${'x'.repeat(12_000)}`);
    expect(r.status).toBe(400);
    expect(r.body.error.length).toBeLessThan(1100);
  });

  it('answers garbage after a served request on the same keep-alive connection', async () => {
    const r = await raw(port, `GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\nGARBAGE\r\n\r\n`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('"status":"ok"');
    expect(r.body).toContain('"error_type":"MALFORMED_REQUEST"');
  });

  it('stays up: predicts afterwards, reported nothing as internal, logged each class once without a stack, counts them', async () => {
    expect((await t.get('/health')).status).toBe(200);
    const predicted = await t.post('/v1/predict', { inputs: ['I am so happy', 'this is awful'] });
    expect(predicted.status).toBe(200);
    expect(internalErrors).toEqual([]);
    const events = logLines.map((l) => JSON.parse(l) as { event: string; error_type: string });
    const classes = events.filter((e) => e.event === 'glassbox.client_error').map((e) => e.error_type);
    expect(new Set(classes).size).toBe(classes.length);
    expect(classes).toEqual(expect.arrayContaining(['INVALID_PATH', 'INVALID_BODY', 'BODY_TOO_DEEP', 'REQUEST_TIMEOUT', 'HEADERS_TOO_LARGE', 'MALFORMED_REQUEST']));
    expect(logLines.join('')).not.toMatch(/\n\s+at /);
    const counts = (await t.get('/admin/stats')).body.clientErrors as Record<string, number>;
    expect(counts['INVALID_PATH']).toBe(7);
    expect(counts['REQUEST_TIMEOUT']).toBe(3);
  });
});

describe('the request timeout', () => {
  let server: Server;
  let port = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    const guard = createClientErrorGuard(createClientErrorLog({ log: { write: () => true } }));
    server = createServer(serverOptions({ requestTimeoutMs: 200, headersTimeoutMs: 100, keepAliveTimeoutMs: 1000 }), (req, res) => {
      req.resume();
      req.on('end', () => void gate.then(() => res.end('done')));
    });
    guard.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    release();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('limits receiving the request, not computing the answer', async () => {
    const host = `127.0.0.1:${port}`;
    // A complete request whose answer waits on the gate.
    const slowAnswer = raw(port, `POST /x HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`);
    // Opened after it, a client that never finishes its body times out first...
    const stalled = await raw(port, `POST /x HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 10\r\n\r\nab`);
    expect(stalled.status).toBe(408);
    // ...while the first, older than the timeout by now, is still answered.
    release();
    const answered = await slowAnswer;
    expect([answered.status, answered.body]).toEqual([200, 'done']);
  });
});
