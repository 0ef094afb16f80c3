/**
 * `glassbox batch` on the bench model as a user runs it (the built CLI in a child process): with
 * no thread flags against `--threads 1` and `--threads 2`, interleaved. The CLI's own summary
 * gives rows/s (after the model has loaded) and its peak RSS.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchResult, Benchmark } from '../bench-types.js';
import { num, withRange } from '../format.js';
import { spread } from '../measure.js';
import { benchModel } from '../models.js';

const run = promisify(execFile);

const CONFIGS: ReadonlyArray<{ key: string; label: string; flags: string[] }> = [
  { key: 'default', label: 'no thread flags (the default)', flags: [] },
  { key: 't1', label: '--threads 1', flags: ['--threads', '1'] },
  { key: 't2', label: '--threads 2', flags: ['--threads', '2'] },
];

export const cliBatch: Benchmark = {
  name: 'cli-batch',
  title: '`glassbox batch` thread flags, bench model',
  peer: 'the best flags found here',
  texts: { full: 600, quick: 64 },
  async run(context): Promise<BenchResult> {
    const { quick } = context.settings;
    const model = benchModel(context.repoRoot);
    const cli = join(context.repoRoot, 'apps', 'cli', 'bin', 'glassbox.js');
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-bench-cli-'));
    try {
      const texts = context.texts.texts.slice(0, quick ? cliBatch.texts.quick : cliBatch.texts.full);
      const input = join(dir, 'in.jsonl');
      writeFileSync(input, texts.map((text) => JSON.stringify({ text })).join('\n'));
      const rates = new Map<string, number[]>(CONFIGS.map((c) => [c.key, []]));
      const rss = new Map<string, number[]>(CONFIGS.map((c) => [c.key, []]));
      const repetitions = quick ? 1 : 3;
      context.progress(`cli-batch: ${repetitions} rounds x ${CONFIGS.length} flag sets x ${texts.length} texts (one process each)`);
      for (let i = 0; i < repetitions; i++) {
        for (const c of CONFIGS) {
          const summary = join(dir, `${c.key}.json`);
          await run(process.execPath, [cli, 'batch', '--model', model.dir, '--in', input, '--out', join(dir, 'out.jsonl'), '--summary-json', summary, '--no-progress', ...c.flags]);
          const s = JSON.parse(readFileSync(summary, 'utf8')) as { rows_per_second: number; peak_rss_mb: number };
          rates.get(c.key)?.push(s.rows_per_second);
          rss.get(c.key)?.push(s.peak_rss_mb);
        }
      }
      const medians = new Map(CONFIGS.map((c) => [c.key, spread(rates.get(c.key) ?? []).median]));
      const best = Math.max(...medians.values());
      const metrics: Record<string, number> = {};
      const rows = CONFIGS.map((c) => {
        metrics[`bench.cli.${c.key}.rows_per_s`] = medians.get(c.key) ?? Number.NaN;
        metrics[`bench.cli.${c.key}.peak_rss_mb`] = spread(rss.get(c.key) ?? []).median;
        return [c.label, withRange(spread(rates.get(c.key) ?? [])), `${((medians.get(c.key) ?? 0) / best).toFixed(2)}x`, num(spread(rss.get(c.key) ?? []).median)];
      });
      metrics['bench.cli.default_vs_best'] = (medians.get('default') ?? 0) / best;
      return {
        notes: [
          `\`node apps/cli/bin/glassbox.js batch --model ${model.dir} --in <${texts.length} dev texts as JSONL> --out <temp> --summary-json <temp> --no-progress\` plus the flags of each row; one child process per run, ${repetitions} round${repetitions === 1 ? '' : 's'} interleaved. rows/s: the CLI's summary (after the model loaded); peak RSS: its summary's \`peak_rss_mb\`.`,
        ],
        table: { columns: ['flags', 'rows/s', 'vs best', 'peak RSS MB'], rows },
        findings: [`No flags: ${(100 * metrics['bench.cli.default_vs_best']).toFixed(0)}% of the best flags' rows/s in this run (done when: at least 95%).`],
        metrics,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
