#!/usr/bin/env node
// Moves every @glassbox/* package, and the root, to one new version (docs/versioning.md):
//   node tools/packages/set-version.mjs 0.2.0 && npm install --ignore-scripts
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { onVersionLine, PACKAGE_DIRS } from './manifest.mjs';

const [version] = process.argv.slice(2);
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version ?? '')) {
  process.stderr.write('usage: set-version.mjs MAJOR.MINOR.PATCH[-PRERELEASE]\n');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '../..');
for (const dir of ['.', ...PACKAGE_DIRS]) {
  const file = join(root, dir, 'package.json');
  writeFileSync(file, JSON.stringify(onVersionLine(JSON.parse(readFileSync(file, 'utf8')), version), null, 2) + '\n');
  console.log(`${dir}: ${version}`);
}
