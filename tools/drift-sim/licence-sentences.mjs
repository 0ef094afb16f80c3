#!/usr/bin/env node
// Out-of-domain texts for the drift monitor's backtest and simulation: sentences from the licence
// files of the installed npm packages (node_modules/*/LICENSE*, in sorted order), deduplicated,
// 30 to 300 characters, written as JSONL {"text": ...}. Deterministic for one node_modules.
//   node tools/drift-sim/licence-sentences.mjs [--count 400] [--out licence.jsonl]
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { count: { type: 'string', default: '400' }, out: { type: 'string' }, root: { type: 'string', default: 'node_modules' } } });
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer (got ${values.count})`);

const packages = [];
for (const name of readdirSync(values.root).sort()) {
  if (name.startsWith('.')) continue;
  const dir = join(values.root, name);
  if (name.startsWith('@')) for (const sub of readdirSync(dir).sort()) packages.push(join(dir, sub));
  else packages.push(dir);
}
const seen = new Set();
const sentences = [];
for (const dir of packages) {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => /^licen[cs]e/i.test(f) && statSync(join(dir, f)).isFile()).sort();
  } catch {
    continue;
  }
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8').replace(/\s+/g, ' ');
    for (const sentence of text.split(/(?<=[.;:])\s+/)) {
      const s = sentence.trim();
      if (s.length < 30 || s.length > 300 || seen.has(s)) continue;
      seen.add(s);
      sentences.push(s);
      if (sentences.length >= count) break;
    }
    if (sentences.length >= count) break;
  }
  if (sentences.length >= count) break;
}
const jsonl = sentences.map((text) => JSON.stringify({ text })).join('\n') + '\n';
if (values.out) writeFileSync(values.out, jsonl);
else process.stdout.write(jsonl);
process.stderr.write(`${sentences.length} licence sentences\n`);
