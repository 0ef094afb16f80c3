import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './test-cli.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/never-below-abstention.mjs', import.meta.url));
const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
const TEXTS = ['I am so happy today', 'this is awful and I hate it', 'what a surprise!'];
const work = mkdtempSync(join(tmpdir(), 'glassbox-calibration-plugins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A third-party calibrator (softmax(z / 2) whatever the data): examples/plugins/halve-logits-calibrator.mjs.
const HALVE_EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/halve-logits-calibrator.mjs', import.meta.url));

interface Row {
  label: string;
  score: number;
  probabilities: Record<string, number>;
  abstained: boolean;
  abstention_reason: string | null;
  raw?: { probabilities: Record<string, number> };
}

describe('--abstain with a third-party abstention rule (--plugin)', () => {
  const plugin = join(work, 'my-floor-rule.mjs');
  beforeAll(() => copyFileSync(EXAMPLE, plugin));

  it('predict decides with the plugin rule: a floor of 1 withholds every text, a floor of 0 none', async () => {
    const all = await cli('predict', '--plugin', plugin, '--abstain', 'never-below:1', '--json', ...TEXTS);
    expect(all.stderr).toBe('');
    const rows = JSON.parse(all.stdout) as Row[];
    expect(rows).toHaveLength(TEXTS.length);
    for (const row of rows) {
      expect(row.abstained).toBe(true);
      expect(row.abstention_reason).toBe(`never-below: ${row.label} at ${row.score.toFixed(3)} < 1`);
    }
    const none = await cli('predict', '--plugin', plugin, '--abstain', 'never-below:0', '--json', ...TEXTS);
    expect(none.stderr).toBe('');
    for (const row of JSON.parse(none.stdout) as Row[]) expect(row.abstained).toBe(false);
  }, 60_000);

  it('lists the plugin rule in --abstain help, and refuses it (coded, one line) without --plugin', async () => {
    const help = await cli('predict', '--plugin', plugin, '--help');
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/abstention rule: .*never-below:FLOOR/);
    const bad = await cli('predict', '--abstain', 'never-below:0.9', '--json', TEXTS[0]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^glassbox: abstain "never-below:0.9" is not a rule; use one of .*max-probability:THRESHOLD.* \[INVALID_OPTION\]\n$/);
  }, 60_000);
});

describe('calibrate --method with a third-party calibrator (--plugin)', () => {
  const plugin = join(work, 'halve.mjs');
  const data = join(work, 'labeled.tsv');
  const out = join(work, 'halve-calibration.json');
  beforeAll(() => {
    copyFileSync(HALVE_EXAMPLE, plugin);
    const rows = LABELS.flatMap((label, i) => [`I feel ${label} today\t${i}`, `so much ${label}, honestly\t${i}`, `this is ${label} again\t${i}`]);
    writeFileSync(data, `text\tlabel\n${[...rows, ...rows].join('\n')}\n`);
  });

  it('fits and writes it; predict --calibration reads it back with the plugin and applies it', async () => {
    const fit = await cli('calibrate', '--plugin', plugin, '--method', 'halve-logits', '--data', data, '--out', out, '--json');
    expect(fit.stderr).toBe('');
    expect(JSON.parse(fit.stdout)).toMatchObject({ method: 'halve-logits', params: { divisor: 2 } });

    const r = await cli('predict', '--plugin', plugin, '--calibration', out, '--json', ...TEXTS);
    expect(r.stderr).toBe('');
    for (const row of JSON.parse(r.stdout) as Row[]) {
      // softmax(z / 2) = softmax(log(softmax(z)) / 2): recomputed from the raw probabilities.
      const raw = row.raw?.probabilities ?? {};
      expect(Object.keys(raw).sort()).toEqual(LABELS);
      const halved = Object.fromEntries(LABELS.map((l) => [l, Math.sqrt(raw[l])]));
      const sum = Object.values(halved).reduce((a, b) => a + b, 0);
      for (const l of LABELS) expect(row.probabilities[l], l).toBeCloseTo(halved[l] / sum, 4);
    }
  }, 120_000);

  it('refuses the method and the file with a coded one-line error when the plugin is not loaded', async () => {
    const fit = await cli('calibrate', '--method', 'halve-logits', '--data', data, '--out', join(work, 'never.json'));
    expect(fit.code).toBe(2);
    expect(fit.stderr).toMatch(/^glassbox: .*halve-logits.*\n$/);
    const read = await cli('predict', '--calibration', out, '--json', TEXTS[0]);
    expect(read.code).toBe(2);
    expect(read.stderr).toMatch(/^glassbox: .*calibration\.method must be one of temperature, .* \(got "halve-logits"\); a plugin's method needs that plugin loaded .*\[CALIBRATION_FILE_INVALID\]\n$/);
  }, 60_000);
});
