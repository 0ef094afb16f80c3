#!/usr/bin/env node
// The package.json a @glassbox/* tarball carries. Runs as each package's `prepack` (npm pack and
// npm publish both run it) and `postpack`:
//   prepack:  saves package.json beside itself and writes the published manifest in its place:
//             no `development` export conditions (they point at src/, which the tarball leaves
//             out, and bundlers set that condition in their dev servers), no `nx` block, no pack
//             scripts, no devDependencies. Fails when an @glassbox/* dependency is not the
//             version line's exact version (docs/versioning.md).
//   postpack: puts the saved package.json back.
// A prepack after an interrupted pack restores the saved manifest first, so it never compounds.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishedManifest, VERSION_LINE_FILE } from './manifest.mjs';

const [step] = process.argv.slice(2);
const dir = process.cwd();
const file = join(dir, 'package.json');
const saved = join(dir, 'package.json.workspace');

if (step === 'prepack') {
  if (existsSync(saved)) renameSync(saved, file);
  const source = readFileSync(file, 'utf8');
  const version = JSON.parse(readFileSync(new URL(`../../${VERSION_LINE_FILE}`, import.meta.url), 'utf8')).version;
  const manifest = publishedManifest(JSON.parse(source), version);
  writeFileSync(saved, source);
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
} else if (step === 'postpack') {
  if (existsSync(saved)) renameSync(saved, file);
} else {
  process.stderr.write('usage: publish-manifest.mjs prepack|postpack (run in a package folder)\n');
  process.exit(2);
}
