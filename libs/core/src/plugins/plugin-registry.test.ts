import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GlassboxError } from '../errors.js';
import { assertCapabilities } from './capabilities.js';
import { defineExplainer } from './define-plugin.js';
import { runPlugin } from './plugin-failure.js';
import { loadPlugins } from './plugin-loader.js';
import { resolvePluginOptions } from './plugin-options.js';
import { createPluginRegistries, createPluginRegistry } from './plugin-registry.js';

const rollout = defineExplainer({
  kind: 'explainer',
  name: 'rollout',
  description: 'attention rollout',
  requires: ['attentions'],
  options: { fusion: { type: 'string', enum: ['mean', 'max'], default: 'mean' } },
  explain: (input) => input.units.map(() => (input.options.fusion === 'mean' ? 1 : 0)),
});

function errorOf(f: () => unknown): GlassboxError {
  try {
    f();
  } catch (e) {
    if (e instanceof GlassboxError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('plugin registry', () => {
  it('registers a descriptor under its kind with its source and lists it', () => {
    const r = createPluginRegistries();
    r.register(rollout);
    r.register({ kind: 'observer', name: 'counter', description: 'counts', observe: () => undefined }, { origin: 'file', location: '/x/counter.mjs' });
    expect(r.explainer.get('rollout')).toBe(rollout);
    expect(r.explainer.names()).toEqual(['rollout']);
    expect(r.list()).toEqual([
      { kind: 'explainer', name: 'rollout', description: 'attention rollout', source: 'built-in', requires: ['attentions'], options: rollout.options },
      { kind: 'observer', name: 'counter', description: 'counts', source: '/x/counter.mjs', requires: [], options: {} },
    ]);
  });

  it('rejects bad descriptors with PLUGIN_INVALID naming the plugin and its source', () => {
    const r = createPluginRegistries();
    const file = { origin: 'file', location: '/plugins/bad.mjs' } as const;
    const bad: Array<[unknown, RegExp]> = [
      [{ ...rollout, name: 'Bad Name' }, /kebab-case/],
      [{ ...rollout, kind: 'nope' }, /kind "nope"/],
      [{ ...rollout, description: '' }, /description/],
      [{ ...rollout, explain: undefined }, /explain\(\) function/],
      [{ ...rollout, requires: ['telepathy'] }, /unknown capability "telepathy"/],
      [{ ...rollout, options: { k: { type: 'integer', default: 0.5 } } }, /option "k" default: must be an integer/],
      [{ ...rollout, options: { k: { type: 'date', default: 1 } } }, /type "date"/],
      [{ kind: 'drift-statistic', name: 'w', description: 'd', compute: () => 0 }, /signals/],
      [null, /object descriptor/],
    ];
    for (const [plugin, message] of bad) {
      const e = errorOf(() => r.register(plugin, file));
      expect(e.code).toBe('PLUGIN_INVALID');
      expect(e.message).toMatch(message);
      expect(e.message).toContain('/plugins/bad.mjs');
    }
    expect(r.list()).toEqual([]);
  });

  it('refuses a second plugin of the same kind and name, naming both sources', () => {
    const r = createPluginRegistry('explainer');
    r.register(rollout);
    const e = errorOf(() => r.register({ ...rollout }, { origin: 'package', location: 'glassbox-rollout' }));
    expect(e.code).toBe('PLUGIN_DUPLICATE');
    expect(e.message).toMatch(/glassbox-rollout.*built-in/);
    expect(errorOf(() => r.register({ ...rollout, kind: 'observer', observe: () => 0 })).code).toBe('PLUGIN_INVALID');
  });

  it('lists the registered names when asked for an unknown one', () => {
    const r = createPluginRegistry('explainer');
    r.register(rollout);
    const e = errorOf(() => r.get('shap'));
    expect(e.code).toBe('PLUGIN_UNKNOWN');
    expect(e.message).toMatch(/registered: rollout/);
  });
});

describe('plugin options and capabilities', () => {
  it('fills defaults and refuses unknown options or values outside the schema', () => {
    expect(resolvePluginOptions(rollout)).toEqual({ fusion: 'mean' });
    expect(resolvePluginOptions(rollout, { fusion: 'max' })).toEqual({ fusion: 'max' });
    expect(errorOf(() => resolvePluginOptions(rollout, { fusion: 'median' })).message).toMatch(/explainer "rollout" option "fusion" must be one of mean, max/);
    expect(errorOf(() => resolvePluginOptions(rollout, { samples: 3 })).message).toMatch(/has no option "samples"; its options: fusion/);
  });

  it('says which capability is missing and what to do, naming the plugin', () => {
    expect(() => assertCapabilities(rollout, { attentions: true, maskToken: false })).not.toThrow();
    const e = errorOf(() => assertCapabilities(rollout, { attentions: false, maskToken: true }));
    expect(e.code).toBe('PLUGIN_CAPABILITY_MISSING');
    expect(e.message).toMatch(/explainer "rollout" needs attention outputs.*expose-attentions/);
  });
});

describe('loadPlugins and runPlugin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-plugins-'));
  const one = join(dir, 'one.mjs');
  writeFileSync(one, "export default { kind: 'explainer', name: 'first-word', description: 'the first word', explain: (i) => i.units.map((_, k) => (k === 0 ? 1 : 0)) };\n");
  writeFileSync(
    join(dir, 'two.mjs'),
    "export default [{ kind: 'observer', name: 'a', description: 'a', observe() {} }, { kind: 'observer', name: 'b', description: 'b', observe() {} }];\n",
  );
  writeFileSync(join(dir, 'none.mjs'), 'export const x = 1;\n');
  writeFileSync(join(dir, 'broken.mjs'), 'export default {\n');

  it('imports files (one plugin or an array) and records their resolved path as source', async () => {
    const r = createPluginRegistries();
    const loaded = await loadPlugins(['./one.mjs', join(dir, 'two.mjs')], { cwd: dir, registries: r });
    expect(loaded.map((p) => p.name)).toEqual(['first-word', 'a', 'b']);
    expect(r.explainer.sourceOf('first-word')).toEqual({ origin: 'file', location: one });
    expect(r.list().map((p) => `${p.kind}:${p.name}`)).toEqual(['explainer:first-word', 'observer:a', 'observer:b']);
  });

  it('fails with PLUGIN_LOAD_FAILED naming the file when it is missing, broken or has no default export', async () => {
    const r = createPluginRegistries();
    for (const spec of ['./missing.mjs', './broken.mjs', './none.mjs', 'no-such-glassbox-plugin-package']) {
      await expect(loadPlugins([spec], { cwd: dir, registries: r })).rejects.toMatchObject({
        code: 'PLUGIN_LOAD_FAILED',
        message: expect.stringContaining(spec.replace('./', '')),
      });
    }
  });

  it('turns what a plugin throws into PLUGIN_FAILED naming it, and passes coded errors on', async () => {
    const source = { origin: 'file', location: '/p/x.mjs' } as const;
    await expect(runPlugin(rollout, source, () => Promise.reject(new TypeError('boom')))).rejects.toMatchObject({
      code: 'PLUGIN_FAILED',
      message: 'explainer "rollout" (from /p/x.mjs) failed: boom',
    });
    const coded = new GlassboxError('INVALID_OPTION', 'bad');
    await expect(runPlugin(rollout, source, () => Promise.reject(coded))).rejects.toBe(coded);
    await expect(runPlugin(rollout, source, () => 42)).resolves.toBe(42);
  });
});
