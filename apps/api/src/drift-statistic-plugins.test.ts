import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_DRIFT_STATISTICS } from '@glassbox/monitor';
import { LABELS, referenceFor, startTestServer, type TestServer } from './test-server.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/hellinger-drift-statistic.mjs', import.meta.url));
const TEXTS = LABELS.flatMap((label) => [`I feel ${label} today`, `so much ${label}, honestly`, `this is ${label} again`]);

/** Every statistic enum in an OpenAPI document (arrays of strings that include "psi"). */
function statisticEnums(doc: unknown): string[][] {
  const found: string[][] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'enum' && Array.isArray(value) && value.includes('psi')) found.push(value as string[]);
        else walk(value);
      }
    }
  };
  walk(doc);
  return found;
}

describe('a third-party drift statistic loaded through the server option plugins', () => {
  let dir: string;
  let server: TestServer;

  beforeAll(async () => {
    // The example, copied outside the repository under another name.
    dir = await mkdtemp(join(tmpdir(), 'glassbox-stat-plugin-'));
    const plugin = join(dir, 'my-distance.mjs');
    await copyFile(EXAMPLE, plugin);
    const referencePath = join(dir, 'reference.json');
    await writeFile(referencePath, JSON.stringify(await referenceFor(TEXTS)));
    server = await startTestServer({ referencePath, plugins: [plugin] });
  }, 120_000);

  afterAll(async () => {
    await server?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists it in every statistic enum of /openapi.json, after the built-ins', async () => {
    const enums = statisticEnums((await server.get('/openapi.json')).body);
    expect(enums.length).toBeGreaterThanOrEqual(3); // history query, alarm, decision
    for (const e of enums) expect(e).toEqual([...BUILTIN_DRIFT_STATISTICS.map((p) => p.name), 'hellinger']);
  });

  it('computes it on every signal of /v1/monitor, with its alarm decision, and filters history by it', async () => {
    // Past minSamples (30), so every rule judges the window.
    for (let i = 0; i < 2; i++) expect((await server.post('/v1/predict', { inputs: TEXTS })).status).toBe(200);
    const monitor = await server.get('/v1/monitor');
    expect(monitor.status).toBe(200);
    for (const signal of ['confidence', 'margin', 'entropy', 'labels']) {
      const s = monitor.body.signals[signal];
      expect(s.statistics.hellinger, signal).toBeGreaterThanOrEqual(0);
      expect(s.statistics.hellinger, signal).toBeLessThanOrEqual(1);
      const decision = s.decisions.find((d: { statistic: string }) => d.statistic === 'hellinger');
      expect(decision, signal).toMatchObject({ threshold: 0.25, value: s.statistics.hellinger });
    }
    expect((await server.get('/v1/monitor/history?statistic=hellinger')).status).toBe(200);
    expect((await server.get('/v1/monitor/history?statistic=nope')).status).toBe(400);
  });

  it('serves its gauge on /metrics under its own name', async () => {
    const metrics = await server.get('/metrics');
    expect(metrics.text).toMatch(/^glassbox_drift_hellinger\{[^}]*signal="labels"[^}]*\} /m);
    expect(metrics.text).toMatch(/^glassbox_drift_psi\{/m);
  });
});
