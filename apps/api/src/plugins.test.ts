import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';

// The example third-party plugin, copied outside the repository under another name.
const example = fileURLToPath(new URL('../../../examples/plugins/keep-one-explainer.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'glassbox-api-plugins-'));
const keepOne = join(dir, 'my-explainer.mjs');
copyFileSync(example, keepOne);
const broken = join(dir, 'broken.mjs');
writeFileSync(broken, "export default { kind: 'explainer', name: 'explodes', description: 'throws', explain() { throw new Error('kaboom'); } };\n");
const liar = join(dir, 'liar.mjs');
writeFileSync(
  liar,
  "export default { kind: 'explainer', name: 'liar', description: 'declares 1 pass, makes many', cost: () => ({ forwardPasses: 1 }), async explain(i) { for (let k = 0; k < 50; k++) await i.predict([[k % i.units.length]]); return i.units.map(() => 0); } };\n",
);

describe('plugins on the server', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ plugins: [keepOne, broken, liar], maxExplainForwardPasses: 20 });
  });
  afterAll(async () => {
    await t.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /v1/plugins lists built-in and loaded plugins with kind, source (base name only) and requirements', async () => {
    const res = await t.get('/v1/plugins');
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.plugins.map((p: { name: string }) => [p.name, p]));
    expect(byName.rollout).toMatchObject({ kind: 'explainer', source: 'built-in', requires: ['attentions'], available: true });
    expect(byName.shapley).toMatchObject({ kind: 'explainer', source: 'built-in', options: { permutations: { type: 'integer', default: 16 } } });
    expect(byName['keep-one']).toMatchObject({ kind: 'explainer', source: 'my-explainer.mjs', origin: 'file', requires: [] });
    expect(res.text).not.toContain(dir);
    // No --abstain: every abstention rule is listed, none active.
    expect(byName['max-probability']).toMatchObject({ kind: 'abstention', active: false });
  });

  it('GET /v1/plugins marks the abstention rule the server abstains by as active', async () => {
    const abstaining = await startTestServer({ workers: 0, abstain: 'max-probability:0.5' });
    try {
      const plugins = (await abstaining.get('/v1/plugins')).body.plugins as Array<{ kind: string; name: string; active?: boolean }>;
      expect(plugins.filter((p) => p.kind === 'abstention' && p.active).map((p) => p.name)).toEqual(['max-probability']);
    } finally {
      await abstaining.server.close();
    }
  });

  it('/openapi.json lists every registered explainer in the methods enum, with per-method options', async () => {
    const doc = (await t.get('/openapi.json')).body;
    const schema = doc.paths['/v1/explain'].post.requestBody.content['application/json'].schema;
    const body = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
    expect(body.properties.methods.items.enum).toEqual(['occlusion', 'rollout', 'shapley', 'keep-one', 'explodes', 'liar']);
    expect(body.properties.options.properties.shapley.properties.permutations).toMatchObject({ type: 'integer', minimum: 2 });
  });

  it('/v1/explain runs a loaded plugin, beside the built-ins, with its options', async () => {
    const res = await t.post('/v1/explain', { inputs: 'I am so happy today', methods: ['keep-one', 'occlusion'], options: { 'keep-one': { baseline: 'attention' } } });
    expect(res.status).toBe(200);
    expect(res.body.attributions['keep-one']).toHaveLength(res.body.tokens.length);
    expect(res.body.agreement.pairs).toHaveLength(1);
    const unknown = await t.post('/v1/explain', { inputs: 'I am so happy today', methods: ['lime'] });
    expect(unknown.status).toBe(400);
    const badOption = await t.post('/v1/explain', { inputs: 'I am so happy today', methods: ['shapley'], options: { shapley: { permutations: 1 } } });
    expect(badOption.status).toBe(400);
  });

  it('a plugin that throws fails its request with 500 PLUGIN_FAILED naming it; the server goes on', async () => {
    const res = await t.post('/v1/explain', { inputs: 'I am so happy today', methods: ['explodes'] });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error_type: 'PLUGIN_FAILED', error: expect.stringMatching(/explainer "explodes" \(from .*broken\.mjs\) failed: kaboom/) });
    expect((await t.post('/v1/predict', { inputs: 'still here' })).status).toBe(200);
  });

  it('a plugin that makes more forward passes than it declared is stopped at the budget with 422', async () => {
    const res = await t.post('/v1/explain', { inputs: 'I am so happy today', methods: ['liar'] });
    expect(res.status).toBe(422);
    expect(res.body.error_type).toBe('EXPLAIN_BUDGET_EXCEEDED');
  });

  it('refuses to start on a plugin file that does not load, naming it', async () => {
    await expect(startTestServer({ plugins: [join(dir, 'missing.mjs')] })).rejects.toMatchObject({ code: 'PLUGIN_LOAD_FAILED', message: expect.stringContaining('missing.mjs') });
  });
});
