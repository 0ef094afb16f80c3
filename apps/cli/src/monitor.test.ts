import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '@glassbox/monitor';
import { cli } from './test-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const data = join(root, '../shared/data/goemotions-ekman');
const work = mkdtempSync(join(tmpdir(), 'glassbox-monitor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Out-of-domain formal text: sentences of the licence files installed in node_modules. */
function licenceSentences(n: number): string[] {
  const seen = new Set<string>();
  const modules = join(root, 'node_modules');
  for (const dir of readdirSync(modules).sort()) {
    const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license'].map((f) => join(modules, dir, f)).find(existsSync);
    if (!file) continue;
    for (const s of readFileSync(file, 'utf8').replace(/\s+/g, ' ').split(/(?<=[.;:])\s+/)) {
      if (s.trim().split(' ').length >= 6) seen.add(s.trim());
    }
    if (seen.size >= n) break;
  }
  return [...seen].slice(0, n);
}

async function replay(file: string) {
  const r = await cli('monitor', 'replay', '--reference', join(work, 'reference.json'), '--data', file, '--json');
  expect(r.stderr).toBe('');
  const result = JSON.parse(r.stdout) as { predictions: number; window: number; expected_run_length: number; alarms: Array<{ index: number; statistic: string }> };
  // The reference's cached thresholds: its window and run length.
  expect(result).toMatchObject({ window: 500, expected_run_length: 200_000 });
  return result;
}

describe.skipIf(!existsSync(join(data, 'dev.tsv')))('monitor: reference from the train split, replays', () => {
  beforeAll(async () => {
    const r = await cli('monitor', 'reference', '--data', join(data, 'train.tsv'), '--out', join(work, 'reference.json'), '--no-progress');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/thresholds for window 500 and expected run length 200000: 11 tests/);
  }, 300_000);

  it('raises no alarm over the whole dev split', async () => {
    const r = await replay(join(data, 'dev.tsv'));
    expect(r.predictions).toBe(5426);
    expect(r.alarms).toEqual([]);
  }, 60_000);

  it('alarms within 100 predictions on a stream of only anger-labelled dev texts', async () => {
    const anger = readFileSync(join(data, 'dev.tsv'), 'utf8').split('\n').filter((l) => l.split('\t')[1] === '0');
    const file = join(work, 'anger.tsv');
    writeFileSync(file, `${anger.join('\n')}\n`);
    const r = await replay(file);
    expect(r.alarms.length).toBeGreaterThan(0);
    expect(r.alarms[0].index).toBeLessThan(100);
  }, 60_000);

  it('alarms within 100 predictions on out-of-domain formal text', async () => {
    const file = join(work, 'licences.jsonl');
    writeFileSync(file, licenceSentences(400).map((text) => JSON.stringify({ text })).join('\n'));
    const r = await replay(file);
    expect(r.alarms.length).toBeGreaterThan(0);
    expect(r.alarms[0].index).toBeLessThan(100);
  }, 60_000);

  it('simulate measures the run length under no drift and the delay of each shift', async () => {
    const dev = join(work, 'dev-head.tsv');
    writeFileSync(dev, `${readFileSync(join(data, 'dev.tsv'), 'utf8').split('\n').slice(0, 1000).join('\n')}\n`);
    const r = await cli(
      ...['monitor', 'simulate', '--reference', join(work, 'reference.json'), '--data', dev, '--ood', join(work, 'licences.jsonl')],
      ...['--window', '100', '--streams', '20', '--stream-length', '500', '--runs', '4', '--json', '--no-progress'],
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ window: 100, expected_run_length: 200_000, in_domain: 1000 });
    expect(report.run_length.combined.exposure).toBeGreaterThan(0);
    expect(Object.keys(report.run_length.statistics)).toEqual(['psi', 'ks', 'chi-square', 'wasserstein']);
    expect(Object.keys(report.scenarios)).toEqual(['anger-only', 'out-of-domain', 'label-shares+10pt-anger', 'temperature-2']);
    // Out-of-domain text after a window of (anger) in-domain text: every run alarms.
    expect(report.scenarios['out-of-domain'].delay.combined.detected).toBe(4);
  }, 300_000);
});

describe('monitor: bad input', () => {
  it('answers a missing or foreign reference in one line', async () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"format":"something-else"}');
    for (const argv of [
      ['monitor', 'replay', '--reference', join(work, 'missing.json'), '--data', join(root, 'README.md')],
      ['monitor', 'replay', '--reference', bad, '--data', join(work, 'x.tsv')],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });
});

describe('monitor state', () => {
  const MODEL = 'sha256:cli-state-test';
  const dbPath = join(work, 'state.db');

  beforeAll(() => {
    const store = openStateStore({ path: dbPath });
    store.appendObservations(
      Array.from({ length: 4 }, (_, i) => ({
        index: i,
        time: 1_000 + i,
        modelId: MODEL,
        calibrationId: null,
        predictionId: `p${i}`,
        label: i % 7,
        confidence: 0.6,
        margin: 0.3,
        entropy: 1.1,
        truth: i === 0 ? 0 : null,
      })),
    );
    store.appendAlarm({
      time: '2026-11-26T00:00:00.000Z',
      index: 3,
      signal: 'labels',
      statistic: 'psi',
      value: 0.8,
      threshold: 0.5,
      reason: 'test',
      model_id: MODEL,
      calibration_id: null,
    });
    store.close();
  });

  it('summarises a stopped server\'s database, as text and as JSON', async () => {
    const json = await cli('monitor', 'state', dbPath, '--json');
    expect(json.code, json.stderr).toBe(0);
    const summary = JSON.parse(json.stdout);
    expect(summary).toMatchObject({ integrity: ['ok'], auditRows: 0, alarms: 1, models: [{ modelId: MODEL, observed: 4, observations: 4, withFeedback: 1 }] });
    expect(summary.latest_alarms).toEqual([expect.objectContaining({ index: 3, statistic: 'psi', signal: 'labels' })]);
    const text = await cli('monitor', 'state', dbPath);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('integrity ok');
    expect(text.stdout).toContain(`model ${MODEL}: 4 observed, 4 in the window (1 with feedback)`);
    expect(text.stdout).toContain('psi on labels');
  });

  it('answers a missing, foreign or busy database in one line', async () => {
    const garbage = join(work, 'not-a-db.db');
    writeFileSync(garbage, 'plain text, not SQLite '.repeat(50));
    const owner = openStateStore({ path: dbPath });
    try {
      for (const [file, code] of [
        [join(work, 'missing.db'), 'INPUT_FILE_UNREADABLE'],
        [garbage, 'STORE_FAILED'],
        [dbPath, 'STORE_FAILED'],
      ]) {
        const r = await cli('monitor', 'state', file);
        expect(r.code, file).not.toBe(0);
        expect(r.stderr.trim().split('\n'), file).toHaveLength(1);
        expect(r.stderr, file).toContain(`[${code}]`);
      }
    } finally {
      owner.close();
    }
  });
});

describe('monitor reference: progress', () => {
  it('shows a progress bar on stderr that ends at 100% with the row count; --no-progress shows none', () => {
    const file = join(work, 'progress.csv');
    writeFileSync(file, `text\n${Array.from({ length: 600 }, (_, i) => `row ${i}: I am happy and a bit scared`).join('\n')}\n`);
    const bin = join(root, 'apps/cli/bin/glassbox.js');
    const shown = spawnSync(process.execPath, [bin, 'monitor', 'reference', '--data', file, '--out', join(work, 'progress.json')], { encoding: 'utf8' });
    expect(shown.status).toBe(0);
    expect(shown.stderr).toMatch(/^reference \|.*\| 100% \| 600 rows \|/m);
    const quiet = spawnSync(process.execPath, [bin, 'monitor', 'reference', '--no-progress', '--data', file, '--out', join(work, 'progress.json')], { encoding: 'utf8' });
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
  }, 120_000);
});
