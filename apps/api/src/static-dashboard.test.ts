import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
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

describe('the dashboard mounted under a prefix in a host app', () => {
  let host: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.get('/', (_req, res) => res.send('host home'));
    app.use('/glassbox', built.server.app);
    host = createServer(app);
    await new Promise<void>((done) => host.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => host.close(() => done())));

  it('redirects /glassbox to /glassbox/ (keeping the query), where index.html, its assets and the API answer', async () => {
    const bare = await fetch(`${base}/glassbox?tab=drift`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/glassbox/?tab=drift');
    const page = await fetch(`${base}/glassbox/`);
    expect(await page.text()).toBe(INDEX);
    expect((await fetch(`${base}/glassbox/assets/main.js`)).status).toBe(200);
    const predict = await fetch(`${base}/glassbox/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'I am so happy today' }) });
    expect(predict.status).toBe(200);
    expect(await (await fetch(`${base}/`)).text()).toBe('host home');
  });
});
