#!/usr/bin/env node
// Faithfulness of every registered explainer on dev-split texts (libs/explain/README.md):
// mean comprehensiveness and sufficiency AOPC per method and for a random ranking, the share of
// texts where each method's comprehensiveness beats random's, mean pairwise agreement, and the
// time and forward passes of each method alone.
// Usage: node --conditions=development --import tsx tools/reports/explain-faithfulness.mjs [N=200] [dev.tsv] [methods=rollout,occlusion,shapley]
import { readFileSync } from 'node:fs';
import { createInferenceEngine } from '@glassbox/core';
import { explainText } from '@glassbox/explain';

const n = Number(process.argv[2] ?? 200);
const dev = process.argv[3] ?? '../shared/data/goemotions-ekman/dev.tsv';
const methods = (process.argv[4] ?? 'rollout,occlusion,shapley').split(',');
// the first N rows of the dev split, read where they lie
const texts = readFileSync(dev, 'utf8').split('\n').filter(Boolean).slice(0, n).map((l) => l.split('\t')[0]);
const engine = await createInferenceEngine('models/emotion-mini');
const sums = {};
const beats = Object.fromEntries(methods.map((m) => [m, 0]));
const agreement = {};
for (const text of texts) {
  const e = await explainText(engine, text, { methods, granularity: 'token', faithfulness: true, seed: 0 });
  for (const [m, f] of Object.entries(e.faithfulness)) {
    sums[m] ??= { comp: 0, suff: 0 };
    sums[m].comp += f.comprehensiveness_aopc;
    sums[m].suff += f.sufficiency_aopc;
    if (m !== 'random' && f.comprehensiveness_aopc > e.faithfulness.random.comprehensiveness_aopc) beats[m]++;
  }
  for (const p of e.agreement?.pairs ?? []) {
    const key = p.methods.join(' / ');
    agreement[key] ??= { tau: 0, overlap: 0, n: 0 };
    if (Number.isFinite(p.kendall_tau)) {
      agreement[key].tau += p.kendall_tau;
      agreement[key].n++;
    }
    agreement[key].overlap += p.top_k_overlap;
  }
}
// Each method alone, without faithfulness: time and forward passes per explanation.
const cost = {};
for (const m of methods) {
  let passes = 0;
  const started = process.hrtime.bigint();
  for (const text of texts) passes += (await explainText(engine, text, { methods: [m], granularity: 'token', seed: 0 })).forward_calls;
  cost[m] = { ms: Number(process.hrtime.bigint() - started) / 1e6 / texts.length, passes: passes / texts.length };
}
console.log(`${texts.length} dev texts, token granularity, emotion-mini, default options, seed 0, Node ${process.version}`);
console.log('| method | comprehensiveness AOPC (higher is better) | sufficiency AOPC (lower is better) | comprehensiveness beats random | forward passes | ms per explanation |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [m, s] of Object.entries(sums)) {
  const c = cost[m];
  const beat = m === 'random' ? '–' : `${((100 * beats[m]) / texts.length).toFixed(1)}%`;
  console.log(`| ${m} | ${(s.comp / texts.length).toFixed(4)} | ${(s.suff / texts.length).toFixed(4)} | ${beat} | ${c ? c.passes.toFixed(1) : '–'} | ${c ? c.ms.toFixed(1) : '–'} |`);
}
console.log('\n| pair | mean Kendall tau | mean top-20% overlap |');
console.log('| --- | --- | --- |');
for (const [k, a] of Object.entries(agreement)) console.log(`| ${k} | ${(a.tau / Math.max(1, a.n)).toFixed(3)} | ${(a.overlap / texts.length).toFixed(3)} |`);
await engine.dispose();
