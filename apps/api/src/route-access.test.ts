import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

/**
 * README's table of routes and whether each needs the API key, against the server's own route
 * table as GET /openapi.json publishes it (an operation's `security`: bearer only, or bearer or
 * none for routes that also take a per-prediction token). Every route is in the table, every row
 * is a route, and the key column matches. With a key set, a keyed route answers 401 without it.
 */
const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
const KEY = 'route-access-test-key';

type Access = 'yes' | 'no' | 'key or feedback_token';

function readmeRows(): Map<string, Access> {
  const section = README.slice(README.indexOf('| route | API key |'));
  const rows = new Map<string, Access>();
  for (const m of section.matchAll(/^\| `(GET|POST) ([^`]+)` \| ([^|]+?) \|/gm)) {
    if (!rows.has(`${m[1]} ${m[2]}`)) rows.set(`${m[1]} ${m[2]}`, m[3].trim() as Access);
    else throw new Error(`README lists ${m[1]} ${m[2]} twice`);
  }
  return rows;
}

let t: TestServer;
let operations: Map<string, Access>;

beforeAll(async () => {
  t = await startTestServer({ apiKey: KEY, log: { write: () => true } });
  const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>> };
  operations = new Map();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const security = op.security ?? [];
      const access: Access = security.length === 0 ? 'no' : security.some((s) => Object.keys(s).length === 0) ? 'key or feedback_token' : 'yes';
      operations.set(`${method.toUpperCase()} ${path}`, access);
    }
  }
}, 60_000);
afterAll(() => t?.server.close());

describe("README's route table", () => {
  it('lists every route of the server with whether it needs the API key, and nothing else', () => {
    expect(Object.fromEntries(readmeRows())).toEqual(Object.fromEntries(operations));
  });

  it('the routes it marks "yes" answer 401 without the key', async () => {
    for (const [route, access] of readmeRows()) {
      if (access !== 'yes' || !route.startsWith('GET ') || route.includes('{')) continue;
      expect((await t.get(route.slice(4))).status, route).toBe(401);
    }
  });
});
