import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

const INDEX = '<!doctype html><html><head><title>glassbox dashboard</title></head><body><div id="app"></div></body></html>';

let dir: string;
let built: TestServer;
let missing: TestServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glassbox-dashboard-'));
  const dist = join(dir, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), INDEX);
  await writeFile(join(dist, 'assets', 'main.js'), 'console.log("dashboard");');
  built = await startTestServer({ dashboardDir: dist, workers: 0 });
  missing = await startTestServer({ dashboardDir: join(dir, 'not-built'), workers: 0 });
});

afterAll(async () => {
  await built?.server.close();
  await missing?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the dashboard at /', () => {
  it('serves index.html and its assets when the dashboard is built', async () => {
    const res = await built.get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toBe(INDEX);
    const asset = await built.get('/assets/main.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
  });

  it('never shadows the API routes, and unknown paths stay JSON 404s', async () => {
    expect((await built.get('/health')).status).toBe(200);
    expect((await built.post('/v1/predict', { inputs: 'I am so happy today' })).status).toBe(200);
    const unknown = await built.get('/assets/nope.js');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error_type: 'ROUTE_NOT_FOUND' });
  });

  it('answers 503 DASHBOARD_NOT_BUILT when the dist folder is missing', async () => {
    const res = await missing.get('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: 'dashboard not built: run npm run build', error_type: 'DASHBOARD_NOT_BUILT' });
    expect((await missing.get('/health')).status).toBe(200);
  });
});
