/**
 * What an explanation costs on the bench model: word occlusion (and occlusion with faithfulness)
 * of a real dev text and of a 128-token text, timed, with the forward passes and tokens that
 * `explanationCost` predicts beside the passes `explainText` reports.
 */
import { createInferenceEngine } from '@glassbox/core';
import { explainText, explanationCost, type ExplainOptions } from '@glassbox/explain';
import type { BenchResult, Benchmark } from '../bench-types.js';
import { num, withRange } from '../format.js';
import { interleave, spread } from '../measure.js';
import { benchModel } from '../models.js';
import { fixedLengthTexts } from './text-sets.js';

const CASES: ReadonlyArray<{ key: string; label: string; options: ExplainOptions }> = [
  { key: 'occlusion', label: 'occlusion, words', options: { methods: ['occlusion'] } },
  { key: 'occlusion_faithfulness', label: 'occlusion, words, + faithfulness', options: { methods: ['occlusion'], faithfulness: true } },
];

export const explainCost: Benchmark = {
  name: 'explain-cost',
  title: 'Explanation cost, bench model',
  peer: 'none: the cost of one prediction of the same text, for scale',
  texts: { full: 200, quick: 200 },
  async run(context): Promise<BenchResult> {
    const { quick } = context.settings;
    const model = benchModel(context.repoRoot);
    const engine = await createInferenceEngine(model.dir);
    try {
      const pool = context.texts.texts.slice(0, explainCost.texts.full);
      const longest = pool.reduce((a, b) => (b.split(/\s+/).length > a.split(/\s+/).length ? b : a));
      const texts = [{ key: 'dev', label: `longest of the first ${pool.length} dev texts (${longest.split(/\s+/).length} words)`, text: longest }];
      if (!quick) {
        const [text128] = await fixedLengthTexts(engine, context.texts.texts, 128, 1);
        texts.push({ key: '128', label: `128-token text (${text128.split(/\s+/).length} words)`, text: text128 });
      }
      const metrics: Record<string, number> = {};
      const rows: string[][] = [];
      const repetitions = quick ? 1 : 3;
      for (const t of texts) {
        const predictTimes = await interleave([{ label: 'predict', run: () => engine.classify(t.text) }], { warmup: 1, repetitions: 3 });
        const predictMs = spread(predictTimes.get('predict') ?? []).median;
        for (const c of CASES) {
          const cost = await explanationCost(engine, t.text, c.options);
          let calls = 0;
          const times = await interleave([{ label: c.key, run: async () => (calls = (await explainText(engine, t.text, c.options)).forward_calls) }], { warmup: 0, repetitions });
          const ms = spread(times.get(c.key) ?? []);
          metrics[`bench.explain.${t.key}.${c.key}_ms`] = ms.median;
          metrics[`bench.explain.${t.key}.${c.key}_passes`] = calls;
          rows.push([t.label, c.label, String(cost.tokens), String(cost.units), `${calls} (≤ ${cost.forwardPasses})`, withRange(ms), `${num(ms.median / predictMs)}x`]);
        }
      }
      return {
        notes: [
          `Model: ${model.name}, fp32, glassbox engine at its defaults (batches of up to 32 sequences and 8192 tokens per pass). Occlusion replaces each word's tokens with \`<mask>\`; faithfulness adds ERASER comprehensiveness and sufficiency (and a random ranking).`,
          `${repetitions === 1 ? 'One timed run' : `${repetitions} timed runs`} per row after the engine's warm-up; "vs one prediction" divides by the median time of classifying the same text once.`,
        ],
        table: { columns: ['text', 'explanation', 'tokens', 'units', 'forward passes (predicted bound)', 'ms', 'vs one prediction'], rows },
        findings: [],
        metrics,
      };
    } finally {
      await engine.dispose();
    }
  },
};
