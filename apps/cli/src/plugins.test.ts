import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ApiServer } from '@glassbox/api';
import { afterAll, describe, expect, it } from 'vitest';
import { serveCommand } from './commands/serve.js';
import { cli } from './test-cli.js';

// The example third-party explainer, copied outside the repository under another name.
const example = fileURLToPath(new URL('../../../examples/plugins/keep-one-explainer.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'glassbox-cli-plugins-'));
const plugin = join(work, 'their-explainer.mjs');
copyFileSync(example, plugin);
afterAll(() => rmSync(work, { recursive: true, force: true }));
const text = 'I am so happy today, thank you';

describe('third-party plugins in the CLI', () => {
  it('glassbox plugins --json lists the built-ins and a --plugin file with its source and requirements', async () => {
    const r = await cli('plugins', '--json', '--plugin', plugin);
    expect(r.code).toBe(0);
    const { plugins } = JSON.parse(r.stdout);
    const explainers = plugins.filter((p: { kind: string }) => p.kind === 'explainer');
    expect(explainers.map((p: { name: string }) => p.name)).toEqual(['occlusion', 'rollout', 'shapley', 'keep-one']);
    expect(explainers[3]).toMatchObject({ kind: 'explainer', name: 'keep-one', source: plugin, origin: 'file', requires: [] });
    expect(explainers[1]).toMatchObject({ source: 'built-in', requires: ['attentions'] });
    // Every kind's built-ins are listed, from the same registries.
    const names = (kind: string) => plugins.filter((p: { kind: string }) => p.kind === kind).map((p: { name: string }) => p.name);
    expect(names('calibrator')).toEqual(['temperature', 'vector', 'platt', 'isotonic']);
    expect(names('abstention')).toEqual(['certified', 'max-probability', 'margin', 'entropy']);
    expect(names('drift-statistic')).toEqual(['psi', 'js-distance', 'ks', 'chi-square', 'wasserstein']);
    const table = await cli('plugins');
    expect(table.stdout).toMatch(/explainer\s+rollout\s+attentions\s+built-in/);
  });

  it('glassbox explain --plugin FILE --method NAME --json explains with it (beside a built-in)', async () => {
    const r = await cli('explain', '--plugin', plugin, '--method', 'keep-one', '--method', 'occlusion', '--json', text);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(Object.keys(e.attributions)).toEqual(['keep-one', 'occlusion']);
    expect(e.attributions['keep-one']).toHaveLength(e.tokens.length);
    expect(e.agreement.pairs[0].methods).toEqual(['keep-one', 'occlusion']);
  });

  it('--method choices and help come from the registry', async () => {
    const without = await cli('explain', '--method', 'keep-one', text);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toMatch(/Allowed choices are occlusion, rollout, shapley, all/);
    const help = await cli('explain', '--plugin', plugin, '--help');
    expect(help.stdout).toMatch(/keep-one/);
    expect(help.stdout).toMatch(/rollout \(needs attentions\)/);
  });

  it('--method-option sets a method option, checked against its schema', async () => {
    const ok = await cli('explain', '--method', 'shapley', '--method-option', 'shapley.permutations=4', '--seed', '3', '--json', text);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await cli('explain', '--method', 'shapley', '--method-option', 'shapley.permutations=1', text);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/explainer "shapley" option "permutations" must be at least 2.*INVALID_OPTION/);
  });

  it('a --plugin that does not load fails in one coded line', async () => {
    const r = await cli('plugins', '--plugin', join(work, 'nope.mjs'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nope\.mjs.*PLUGIN_LOAD_FAILED/);
  });

  it('a server started with plugins: [FILE] in its config lists the method in /openapi.json and explains with it', async () => {
    // A relative path in the config resolves from the config file's directory.
    const config = join(work, 'glassbox.json');
    writeFileSync(config, JSON.stringify({ plugins: ['./their-explainer.mjs'] }));
    const out = new PassThrough();
    let log = '';
    out.on('data', (c: Buffer) => (log += c.toString()));
    const server: ApiServer = await serveCommand({ config, port: 0, host: '127.0.0.1', workers: 1, state: ':memory:' }, out);
    try {
      const base = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1];
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const doc: any = await (await fetch(`${base}/openapi.json`)).json();
      const body = doc.paths['/v1/explain'].post.requestBody.content['application/json'].schema;
      const schema = body.$ref ? doc.components.schemas[body.$ref.split('/').pop()] : body;
      expect(schema.properties.methods.items.enum).toContain('keep-one');
      const res = await fetch(`${base}/v1/explain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: text, methods: ['keep-one'] }),
      });
      expect(res.status).toBe(200);
      const e = (await res.json()) as { attributions: Record<string, number[]>; tokens: unknown[] };
      expect(e.attributions['keep-one']).toHaveLength(e.tokens.length);
      const listed = (await (await fetch(`${base}/v1/plugins`)).json()) as { plugins: Array<{ name: string }> };
      expect(listed.plugins.find((p) => p.name === 'keep-one')).toMatchObject({ source: 'their-explainer.mjs' });
    } finally {
      await server.close();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const [last] = process.listeners(signal).slice(-1);
        if (last) process.removeListener(signal, last);
      }
    }
  });
});
