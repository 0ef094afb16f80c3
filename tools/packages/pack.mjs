#!/usr/bin/env node
// Packs every published @glassbox/* package with `npm pack` (each package's prepack writes the
// published manifest, tools/packages/publish-manifest.mjs) and checks each tarball:
//   - it holds package.json, README.md, LICENSE and, for a TypeScript package, dist/index.js
//     (or main.js) with its .d.ts, .d.ts.map and .js.map; no sources, tests, test helpers or configs;
//   - every @glassbox/* dependency is the version line's exact version;
//   - @glassbox/emotion-mini stays within its size budget (10 MB unpacked, tarball-rules.mjs);
//   - with --check: publint (warnings count as errors) and @arethetypeswrong/cli (profile
//     esm-only: the packages are ESM; node16 from ESM and bundler resolution must be clean).
// Usage: node tools/packages/pack.mjs [--out DIR] [--check] [--json FILE]
// Needs the build (npm run build). Prints one row per tarball; exits 1 on any problem.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { offLineDependencies, PACKAGE_DIRS } from './manifest.mjs';
import { sizeProblems, tarballProblems } from './tarball-rules.mjs';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { out: { type: 'string' }, check: { type: 'boolean', default: false }, json: { type: 'string' } } });
const out = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), 'glassbox-pack-'));
mkdirSync(out, { recursive: true });
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args, cwd) {
  try {
    return { ok: true, output: execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }) };
  } catch (e) {
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || String(e) };
  }
}

const rows = [];
let failed = false;
for (const dir of PACKAGE_DIRS) {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const problems = offLineDependencies(manifest, version);
  if (manifest.version !== version) problems.push(`version ${manifest.version} is not the version line ${version}`);
  const packed = run('npm', ['pack', '--json', '--pack-destination', out], join(root, dir));
  if (!packed.ok) {
    console.error(`${manifest.name}: npm pack failed\n${packed.output}`);
    failed = true;
    continue;
  }
  const [info] = JSON.parse(packed.output.slice(packed.output.indexOf('[')));
  const tarball = join(out, info.filename);
  const files = info.files.map((f) => f.path);
  problems.push(...tarballProblems(dir, files), ...sizeProblems(dir, info.unpackedSize));
  const row = { name: info.name, dir, tarball, bytes: statSync(tarball).size, unpackedBytes: info.unpackedSize, files: files.length, problems };
  if (values.check) {
    const publint = run(bin('publint'), ['run', tarball, '--strict', '--level', 'warning'], root);
    row.publint = publint.ok ? 'ok' : publint.output.trim();
    // The dashboard and the model have no JavaScript API worth typing beyond the model's one export.
    const attw = run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji', '--no-color'], root);
    row.attw = attw.ok ? 'ok' : attw.output.trim();
    if (!publint.ok) problems.push(`publint:\n${publint.output.trim()}`);
    if (!attw.ok && !/No entrypoints/i.test(attw.output)) problems.push(`attw:\n${attw.output.trim()}`);
    if (!attw.ok && /No entrypoints/i.test(attw.output)) row.attw = 'no typed entry points (static files only)';
  }
  rows.push(row);
  if (problems.length > 0) failed = true;
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
console.log(`tarballs in ${out}`);
for (const r of rows) {
  const checks = values.check ? `  publint ${r.publint === 'ok' ? 'ok' : 'FAILED'}  attw ${r.attw === 'ok' ? 'ok' : r.attw.startsWith('no typed') ? r.attw : 'FAILED'}` : '';
  console.log(`${r.name.padEnd(24)} ${kb(r.bytes).padStart(10)} packed ${kb(r.unpackedBytes).padStart(10)} unpacked ${String(r.files).padStart(4)} files${checks}`);
  for (const p of r.problems) console.log(`  problem: ${p}`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ version, out, packages: rows }, null, 2) + '\n');
process.exitCode = failed ? 1 : 0;
