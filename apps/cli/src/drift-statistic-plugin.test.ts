import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_DRIFT_STATISTICS } from '@glassbox/monitor';
import { cli } from './test-cli.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/hellinger-drift-statistic.mjs', import.meta.url));
const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
const work = mkdtempSync(join(tmpdir(), 'glassbox-stat-plugin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('monitor replay --plugin: a third-party drift statistic', () => {
  const plugin = join(work, 'renamed-distance.mjs');
  const data = join(work, 'traffic.tsv');
  const reference = join(work, 'reference.json');

  beforeAll(async () => {
    // The example, copied outside the repository under another name.
    copyFileSync(EXAMPLE, plugin);
    const rows = LABELS.flatMap((label, i) => [`I feel ${label} today\t${i}`, `so much ${label}, honestly\t${i}`, `this is ${label} again\t${i}`]);
    writeFileSync(data, `text\tlabel\n${[...rows, ...rows].join('\n')}\n`);
    const r = await cli('monitor', 'reference', '--data', data, '--out', reference, '--no-progress');
    expect(r.stderr).toBe('');
  }, 120_000);

  it('monitors it beside the built-ins and reports its value on every signal', async () => {
    const r = await cli('monitor', 'replay', '--reference', reference, '--data', data, '--plugin', plugin, '--json');
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { statistics: string[]; final: Record<string, Record<string, number>> };
    expect(out.statistics).toEqual([...BUILTIN_DRIFT_STATISTICS.map((p) => p.name), 'hellinger']);
    for (const signal of ['confidence', 'margin', 'entropy', 'labels']) expect(out.final[signal].hellinger, signal).toBeCloseTo(0, 6);
  }, 180_000); // the plugin changes the statistic set: the thresholds are recalibrated (seconds)

  it('narrows to --statistic, and names the registered ones for an unknown name', async () => {
    const r = await cli('monitor', 'replay', '--reference', reference, '--data', data, '--plugin', plugin, '--statistic', 'hellinger', '--json');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).statistics).toEqual(['hellinger']);
    const bad = await cli('monitor', 'replay', '--reference', reference, '--data', data, '--statistic', 'hellinger', '--json');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/no drift-statistic named "hellinger"; registered: psi, /);
  }, 180_000);
});
