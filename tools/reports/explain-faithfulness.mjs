#!/usr/bin/env node
// Faithfulness of the explainers on dev-split texts (README's explain section):
// mean comprehensiveness and sufficiency AOPC for rollout, occlusion and a random ranking,
// the share of texts where occlusion's comprehensiveness beats random's, and time per explanation.
// Usage: node tools/reports/explain-faithfulness.mjs [N=200] [dev.tsv]   (after npm run build)
import { readFileSync } from 'node:fs';
import { createInferenceEngine } from '@glassbox/core';
import { explainText } from '@glassbox/explain';

const n = Number(process.argv[2] ?? 200);
const dev = process.argv[3] ?? '../shared/data/goemotions-ekman/dev.tsv';
// the first N rows of the dev split, read where they lie
const texts = readFileSync(dev, 'utf8').split('\n').filter(Boolean).slice(0, n).map((l) => l.split('\t')[0]);
const engine = await createInferenceEngine('models/emotion-mini');
const sums = {};
let beats = 0;
const started = process.hrtime.bigint();
for (const text of texts) {
  const e = await explainText(engine, text, { granularity: 'token', faithfulness: true, seed: 0 });
  for (const [m, f] of Object.entries(e.faithfulness)) {
    sums[m] ??= { comp: 0, suff: 0 };
    sums[m].comp += f.comprehensiveness_aopc;
    sums[m].suff += f.sufficiency_aopc;
  }
  if (e.faithfulness.occlusion.comprehensiveness_aopc > e.faithfulness.random.comprehensiveness_aopc) beats++;
}
const ms = Number(process.hrtime.bigint() - started) / 1e6 / texts.length;
console.log(`${texts.length} dev texts, token granularity, emotion-mini, Node ${process.version}`);
console.log('| method | comprehensiveness AOPC (higher is better) | sufficiency AOPC (lower is better) |');
console.log('| --- | --- | --- |');
for (const [m, s] of Object.entries(sums)) console.log(`| ${m} | ${(s.comp / texts.length).toFixed(4)} | ${(s.suff / texts.length).toFixed(4)} |`);
console.log(`occlusion's comprehensiveness AOPC beats random's on ${beats}/${texts.length} texts (${((100 * beats) / texts.length).toFixed(1)}%)`);
console.log(`${ms.toFixed(1)} ms per explanation (rollout + occlusion + faithfulness of both and random)`);
await engine.dispose();
