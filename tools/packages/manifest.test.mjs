// node --test tools/packages/: the published manifest and the tarball rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offLineDependencies, onVersionLine, publishedManifest, withoutDevelopmentCondition } from './manifest.mjs';
import { sizeProblems, tarballProblems } from './tarball-rules.mjs';

const workspace = {
  name: '@glassbox/explain',
  version: '0.2.0',
  type: 'module',
  exports: { '.': { development: './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
  scripts: { prepack: 'x', postpack: 'y', build: 'tsc' },
  nx: { tags: ['type:plugin'] },
  dependencies: { '@glassbox/core': '0.2.0', zod: '^4.0.0' },
  devDependencies: { vitest: '^4.0.0' },
};

test('the published manifest drops the development condition, nx, build scripts and devDependencies', () => {
  const out = publishedManifest(workspace, '0.2.0');
  assert.deepEqual(out.exports, { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' });
  assert.equal(out.nx, undefined);
  assert.equal(out.scripts, undefined);
  assert.equal(out.devDependencies, undefined);
  assert.deepEqual(out.dependencies, workspace.dependencies);
  assert.deepEqual(withoutDevelopmentCondition({ a: [{ development: 'x', default: 'y' }] }), { a: [{ default: 'y' }] });
});

test('a package or @glassbox/* dependency off the version line stops the pack', () => {
  assert.deepEqual(offLineDependencies({ ...workspace, optionalDependencies: { '@glassbox/monitor': '^0.1.0' } }, '0.2.0'), ['optionalDependencies.@glassbox/monitor@^0.1.0']);
  assert.throws(() => publishedManifest(workspace, '0.3.0'), /off the version line 0\.3\.0: version 0\.2\.0, dependencies\.@glassbox\/core@0\.2\.0/);
});

test('a tarball needs its entry, declarations, maps, README and LICENSE, and holds no sources, tests or configs', () => {
  const good = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.js.map', 'dist/index.d.ts', 'dist/index.d.ts.map'];
  assert.deepEqual(tarballProblems('libs/core', good), []);
  assert.deepEqual(tarballProblems('libs/core', [...good, 'dist/x.js', 'dist/x.d.ts', 'src/index.ts', 'dist/a.test.js', 'dist/test-support.js', 'tsconfig.lib.json', 'dist/tsconfig.lib.tsbuildinfo']).sort(), [
    'build info dist/tsconfig.lib.tsbuildinfo should not be packed',
    'config file tsconfig.lib.json should not be packed',
    'missing dist/x.d.ts.map (beside dist/x.js)',
    'missing dist/x.js.map (beside dist/x.js)',
    'source file src/index.ts should not be packed',
    'test file dist/a.test.js should not be packed',
    'test helper dist/test-support.js should not be packed',
  ]);
  assert.deepEqual(tarballProblems('apps/cli', good), ['missing dist/main.js', 'missing dist/main.js.map', 'missing dist/main.d.ts', 'missing dist/main.d.ts.map', 'missing bin/glassbox.js']);
});

test('the embedded model stays within its 10 MB budget; other packages have none', () => {
  assert.deepEqual(sizeProblems('models/emotion-mini', 10_000_000), []);
  assert.deepEqual(sizeProblems('models/emotion-mini', 10_000_001), ['unpacked size 10,000,001 bytes is over the budget of 10,000,000 bytes']);
  assert.deepEqual(sizeProblems('libs/core', 50_000_000), []);
});

test('set-version moves a package and its @glassbox/* dependencies, and nothing else', () => {
  const moved = onVersionLine(workspace, '0.3.0');
  assert.equal(moved.version, '0.3.0');
  assert.deepEqual(moved.dependencies, { '@glassbox/core': '0.3.0', zod: '^4.0.0' });
  assert.deepEqual(moved.devDependencies, workspace.devDependencies);
  assert.doesNotThrow(() => publishedManifest(moved, '0.3.0'));
});
