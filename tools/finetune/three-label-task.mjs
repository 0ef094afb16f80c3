#!/usr/bin/env node
// Builds the 3-label task of issue 14 from a GoEmotions-Ekman TSV (text<TAB>label ids<TAB>id):
// negative = anger, disgust, fear, sadness; positive = joy; other = neutral, surprise.
// A row keeps its place when all its labels fall in one class (written as that class's name),
// and is left out otherwise; writes text<TAB>label, no header, in the input's order.
// Usage: node tools/finetune/three-label-task.mjs IN.tsv OUT.tsv [MAX_INPUT_ROWS]
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const CLASS_OF_EKMAN_ID = ['negative', 'negative', 'negative', 'positive', 'other', 'negative', 'other'];

const [input, output, max] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: three-label-task.mjs IN.tsv OUT.tsv [MAX_INPUT_ROWS]\n');
  process.exit(2);
}
const limit = max ? Number(max) : Infinity;
const lines = [];
let read = 0;
let dropped = 0;
for await (const line of createInterface({ input: createReadStream(input, 'utf8'), crlfDelay: Infinity })) {
  if (line === '' || read >= limit) continue;
  read++;
  const [text, ids] = line.split('\t');
  const classes = new Set(ids.split(',').map((id) => CLASS_OF_EKMAN_ID[Number(id)]));
  if (classes.size !== 1 || classes.has(undefined)) {
    dropped++;
    continue;
  }
  lines.push(`${text}\t${[...classes][0]}`);
}
writeFileSync(output, `${lines.join('\n')}\n`);
process.stdout.write(`${lines.length} rows written to ${output} (${dropped} of ${read} rows span several classes, left out)\n`);
