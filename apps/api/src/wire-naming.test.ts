import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

/*
 * One naming convention on glassbox's wire: snake_case field names on every route of its own
 * data API. Not covered: the compatible routes (/models/{model}, /predict, /info, /v2/...), which
 * follow the Hugging Face, TEI and Open Inference Protocol specs, and /admin/*, whose fields are
 * the server's option and counter names as the config file spells them (docs/architecture.md).
 */
const GLASSBOX_ROUTE = /^\/(v1\/|health$|ready$)/;
// Frozen by calibration file format 1 (reliability bins are stored as they are served).
const EXCEPTIONS = new Set(['meanConfidence']);

function propertyNames(schema: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) propertyNames(s, into);
  else if (schema && typeof schema === 'object') {
    const { properties } = schema as { properties?: Record<string, unknown> };
    if (properties && typeof properties === 'object') for (const name of Object.keys(properties)) into.add(name);
    for (const value of Object.values(schema)) propertyNames(value, into);
  }
  return into;
}

describe('wire naming', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.server.close();
  });

  it('every field of glassbox\'s own routes, requests and responses, is snake_case', async () => {
    const doc = (await t.get('/openapi.json')).body as { paths: Record<string, unknown> };
    const routes = Object.keys(doc.paths).filter((p) => GLASSBOX_ROUTE.test(p));
    expect(routes).toContain('/v1/predict');
    expect(routes).toContain('/v1/monitor');
    const names = propertyNames(routes.map((p) => doc.paths[p]), new Set());
    expect(names).toContain('abstention_reason');
    const offending = [...names].filter((n) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(n) && !EXCEPTIONS.has(n));
    expect(offending).toEqual([]);
  });
});
