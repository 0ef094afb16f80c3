import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

/**
 * A web page on any site can make the browser POST to a server on loopback without a CORS
 * preflight when the body is text/plain, a form or multipart (or a Blob of no type). Every write
 * route of /openapi.json gets such a request with a payload that would be valid as JSON: each is
 * refused with 415 before it runs, and nothing the server keeps changes.
 */

let t: TestServer;
let predictionId: string;

const ROWS = Array.from({ length: 20 }, (_, i) => ({ text: `I am so happy, what a wonderful day ${i}`, label: 'anger' }));

/** A would-be-valid JSON body for every POST route; a new route without one here fails the test. */
function payloads(model: string, id: string): Record<string, { path: string; body: unknown }> {
  return {
    '/v1/predict': { path: '/v1/predict', body: { inputs: ['I am so happy'] } },
    '/v1/explain': { path: '/v1/explain', body: { inputs: 'I am so happy', methods: ['occlusion'] } },
    '/v1/calibration/fit': { path: '/v1/calibration/fit', body: { rows: ROWS, activate: true } },
    '/v1/calibration/select': { path: '/v1/calibration/select', body: { version: 'v1' } },
    '/v1/feedback': { path: '/v1/feedback', body: { id, label: 'anger' } },
    '/models/{model}': { path: `/models/${model}`, body: { inputs: 'I am so happy' } },
    '/predict': { path: '/predict', body: { inputs: 'I am so happy' } },
    '/v2/models/{name}/infer': {
      path: `/v2/models/${model}/infer`,
      body: { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['I am so happy'] }] },
    },
  };
}

/** What a cross-site request must not change. */
async function snapshot() {
  const stats = (await t.get('/admin/stats')).body;
  const predictions = (await t.get('/v1/predictions?limit=1000')).body;
  return {
    versions: (await t.get('/v1/calibration/versions')).body,
    predictions: predictions.predictions,
    size: predictions.size,
    history: (await t.get(`/v1/predictions/${predictionId}`)).body.feedback_history,
    classified: { submitted: stats.batcher.submitted, items: stats.batcher.items },
  };
}

/** The bodies a browser sends cross-site without a preflight, each carrying `json`. */
function crossSiteBodies(json: string): Array<[string, () => RequestInit]> {
  return [
    ['text/plain', () => ({ headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: json })],
    ['form-urlencoded', () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: json })],
    [
      'multipart',
      () => {
        const form = new FormData();
        form.set('payload', json);
        return { body: form }; // fetch sets multipart/form-data with its boundary
      },
    ],
    ['no content type', () => ({ body: new TextEncoder().encode(json) })],
  ];
}

beforeAll(async () => {
  // The default configuration: no API key, loopback, so the JSON versions of these requests work.
  t = await startTestServer({ log: { write: () => true } });
  predictionId = (await t.post('/v1/predict', { inputs: ['a first prediction'] })).body.predictions[0].id;
  // A version to select.
  expect((await t.post('/v1/calibration/fit', { rows: ROWS })).status).toBe(200);
});

afterAll(async () => {
  await t?.server.close();
});

describe('cross-site requests to every write route', () => {
  it('are refused with 415 and change nothing', async () => {
    const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const writeRoutes = Object.entries(doc.paths)
      .filter(([, ops]) => 'post' in ops)
      .map(([path]) => path)
      .sort();
    const bodies = payloads(t.server.modelName, predictionId);
    expect(writeRoutes).toEqual(Object.keys(bodies).sort());

    const before = await snapshot();
    expect(before.versions.versions).toHaveLength(1);
    let attempts = 0;
    for (const route of writeRoutes) {
      const { path, body } = bodies[route];
      for (const [kind, init] of crossSiteBodies(JSON.stringify(body))) {
        const res = await fetch(t.base + path, { method: 'POST', ...init() });
        const reply = (await res.json()) as { error_type: string };
        expect(res.status, `${kind} POST ${path}`).toBe(415);
        expect(reply.error_type, `${kind} POST ${path}`).toBe(route === '/predict' ? 'Validation' : 'UNSUPPORTED_MEDIA_TYPE');
        attempts++;
      }
    }
    expect(attempts).toBe(writeRoutes.length * 4);
    expect(await snapshot()).toEqual(before);

    // The same payloads as JSON were valid: each route answers 200 (and the writes happen).
    for (const route of writeRoutes) {
      const { path, body } = bodies[route];
      const res = await t.post(path, body);
      expect(res.status, `JSON POST ${path}: ${res.text}`).toBe(200);
    }
    const after = await snapshot();
    expect(after.versions.versions).toHaveLength(2);
    expect(after.versions.active).toBe('v1');
    expect(after.history).toHaveLength(1);
    expect(after.size).toBe(before.size + 1);
  });

  it('accepts +json types and UTF-8 charsets, and refuses other charsets', async () => {
    const body = JSON.stringify({ inputs: ['I am so happy'] });
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json', 'Application/JSON']) {
      const res = await fetch(`${t.base}/v1/predict`, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, type).toBe(200);
    }
    const latin = await fetch(`${t.base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body });
    expect(latin.status).toBe(415);
    expect(((await latin.json()) as { error_type: string }).error_type).toBe('UNSUPPORTED_ENCODING');
  });

  it('a POST without a body reaches the route, which names what is missing', async () => {
    const res = await fetch(`${t.base}/v1/predict`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_type: string }).error_type).toBe('INVALID_REQUEST');
  });
});
