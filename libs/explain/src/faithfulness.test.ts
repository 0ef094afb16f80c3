import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, type InferenceEngine } from '@glassbox/core';
import { explainText } from './explain-text.js';
import { faithfulness, randomRanking, rankByScore } from './faithfulness.js';
import { miniModelDir } from './test-models.js';
import { tokenUnits } from './text-units.js';

const devTsv = fileURLToPath(new URL('../../../../shared/data/goemotions-ekman/dev.tsv', import.meta.url));

describe('rankings', () => {
  it('ranks by score, ties by position; random rankings are seeded permutations', () => {
    expect(rankByScore([0.1, 0.5, 0.5, -1])).toEqual([1, 2, 0, 3]);
    const r = randomRanking(10, 7);
    expect([...r].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(randomRanking(10, 7)).toEqual(r);
    expect(randomRanking(10, 8)).not.toEqual(r);
  });
});

describe('faithfulness (ERASER)', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(miniModelDir);
  });
  afterAll(() => engine.dispose());

  it('removing every unit at the 100% bin leaves <s></s>; keeping all gives zero sufficiency', async () => {
    const [enc] = await engine.encode(['what a wonderful day']);
    const units = tokenUnits(enc);
    const order = units.map((_, i) => i);
    const [p] = await engine.classify('what a wonderful day');
    const res = await faithfulness(engine, enc, units, { identity: order }, { target: p.labelId, bins: [1] });
    expect(res.identity.sufficiency[0]).toBeCloseTo(0, 6);
    const empty = await engine.forward({ inputIds: BigInt64Array.from([0n, 2n]), attentionMask: BigInt64Array.from([1n, 1n]), batchSize: 1, seqLen: 2 });
    const pe = Math.exp(empty.logits[p.labelId]) / Array.from(empty.logits).reduce((s, v) => s + Math.exp(v), 0);
    expect(res.identity.comprehensiveness[0]).toBeCloseTo(p.score - pe, 5);
  });

  it.skipIf(!existsSync(devTsv))('occlusion beats the random ranking on at least 80% of 200 dev texts', async () => {
    const texts = readFileSync(devTsv, 'utf8').split('\n').filter(Boolean).slice(0, 200).map((l) => l.split('\t')[0]);
    let beats = 0;
    for (const text of texts) {
      const e = await explainText(engine, text, { methods: ['occlusion'], granularity: 'token', faithfulness: true });
      const f = e.faithfulness ?? {};
      if (f.occlusion.comprehensiveness_aopc > f.random.comprehensiveness_aopc) beats++;
    }
    expect(beats / texts.length).toBeGreaterThanOrEqual(0.8);
  }, 120_000);
});
