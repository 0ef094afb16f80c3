import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './test-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const devTsv = join(root, '../shared/data/goemotions-ekman/dev.tsv');
const modelB = join(root, 'models/emotion-mini-b');
const work = mkdtempSync(join(tmpdir(), 'glassbox-calibrate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Fit on the first half of dev, evaluate on the second half, as the README reports.
describe.skipIf(!existsSync(devTsv))('calibrate, then evaluate and predict with the calibration (dev split halves)', () => {
  const file = join(work, 'calibration.json');
  let fit: {
    n: number;
    before: { nll: number };
    after: { nll: number };
    held_out: {
      folds: number;
      count: number;
      conformal: { coverage: number };
      abstention: { coverage: number; selective_risk: number };
    };
    conformal: { qhat: number };
    certificate: { risk_bound: number };
  };
  beforeAll(async () => {
    const r = await cli('calibrate', '--data', devTsv, '--rows', '1:2713', '--method', 'temperature', '--conformal', '0.1', '--abstain-risk', '0.2', '--out', file, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    fit = JSON.parse(r.stdout);
  }, 120_000);

  it("writes a calibration tied to the model, which lowers NLL on the rows it was fitted on", () => {
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.format).toBe('glassbox-calibration');
    expect(saved.model.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(saved.fitted_on.count).toBeGreaterThan(2000);
    expect(fit.after.nll).toBeLessThan(fit.before.nll);
    expect(fit.certificate.risk_bound).toBeLessThanOrEqual(0.2);
  });

  it('lowers ECE-15 on the held-out half, and LAC(0.1) covers 0.88-0.93 of it', async () => {
    const r = await cli('evaluate', '--json', '--data', devTsv, '--rows', '2714:5426', '--calibration', file, '--conformal', '0.1');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.ece).toBeLessThan(res.ece_uncalibrated);
    expect(res.conformal.alpha).toBe(0.1);
    expect(res.conformal.coverage).toBeGreaterThanOrEqual(0.88);
    expect(res.conformal.coverage).toBeLessThanOrEqual(0.93);
    expect(res.reliability).toHaveLength(15);
    expect(res.selective.coverage).toBeGreaterThan(0);
    expect(res.selective.coverage).toBeLessThan(1);
  });

  it("its cross-fitted held-out figures foretell the other half's, where the in-sample ones are what the fit chased", async () => {
    const r = await cli('evaluate', '--json', '--data', devTsv, '--rows', '2714:5426', '--calibration', file, '--conformal', '0.1');
    const other = JSON.parse(r.stdout);
    expect(fit.held_out).toMatchObject({ folds: 5, count: fit.n });
    expect(JSON.parse(readFileSync(file, 'utf8')).metrics.held_out.count).toBe(fit.n);
    // About 2,450 single-label rows each side (standard errors near 0.6 points for coverage and 1 point for the
    // selective risk): the cross-fit estimates land within 2.5 and 4 points of what the untouched half shows
    // (measured on emotion-mini: coverage 90.0% vs 91.7%, answered 44.4% vs 45.0%, wrong among answered 14.9% vs 14.5%).
    expect(Math.abs(fit.held_out.conformal.coverage - other.conformal.coverage)).toBeLessThan(0.025);
    expect(Math.abs(fit.held_out.abstention.coverage - other.selective.coverage)).toBeLessThan(0.04);
    expect(Math.abs(fit.held_out.abstention.selective_risk - other.selective.risk)).toBeLessThan(0.04);
  });

  it('prints the held-out row and says which rows each row of figures is measured on', async () => {
    const out = join(work, 'calibration-text.json');
    const r = await cli('calibrate', '--data', devTsv, '--rows', '1:2713', '--method', 'temperature', '--conformal', '0.1', '--abstain-risk', '0.2', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^held-out +\d\.\d{4}/m);
    expect(r.stdout).toContain('held-out: 5-fold cross-fitting, each row scored by a fit on the other folds');
    expect(r.stdout).toMatch(/held-out coverage \d+\.\d% \(target 90\.0%\)/);
    expect(r.stdout).toMatch(/abstention, held-out \(\d of 5 folds certified\): answered \d+\.\d%, wrong on \d+\.\d% of those/);
  }, 120_000);

  it('predict returns calibrated and raw probabilities, the abstention decision and the conformal set', async () => {
    const r = await cli('predict', '--json', '--calibration', file, '--abstain', 'certified', 'I am so happy for you!', 'hmm');
    expect(r.code).toBe(0);
    for (const row of JSON.parse(r.stdout)) {
      expect(Object.values(row.probabilities as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row.raw.label).toBeDefined();
      expect(typeof row.abstained).toBe('boolean');
      if (row.abstained) expect(row.abstention_reason).toMatch(/\d/);
      expect(row.conformal_set.length).toBeGreaterThan(0);
      for (const l of row.conformal_set) expect(1 - row.probabilities[l]).toBeLessThanOrEqual(fit.conformal.qhat + 1e-12);
    }
  });

  it('refuses a calibration made for another model, in one line', async () => {
    const r = await cli('predict', '--model', modelB, '--calibration', file, 'hello');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/CALIBRATION_MODEL_MISMATCH/);
  });

  it('calibrates an ensemble of two models after combining them', async () => {
    const out = join(work, 'ensemble.json');
    const r = await cli('calibrate', '--data', devTsv, '--rows', '1:2713', '--model', join(root, 'models/emotion-mini'), '--model', modelB, '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).model.name).toMatch(/^ensemble\(/);
  }, 120_000);
});

describe('calibrate: bad input', () => {
  it('answers bad options in one line with a non-zero exit', async () => {
    for (const argv of [
      ['calibrate', '--data', 'x.tsv', '--method', 'magic', '--out', join(work, 'c.json')],
      ['calibrate', '--data', 'x.tsv', '--conformal', '1.5', '--out', join(work, 'c.json')],
      ['calibrate', '--data', join(work, 'missing.tsv'), '--out', join(work, 'c.json')],
      ['evaluate', '--data', 'x.tsv', '--conformal', '0.1'],
      ['predict', '--abstain', 'sometimes', 'hello'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
    expect(existsSync(join(work, 'c.json'))).toBe(false);
  });
});

describe('calibrate: a temperature at its bound', () => {
  it('warns when every label contradicts the model (the fit runs to T = e^5)', async () => {
    // Each text carries a label the model would not give it: the best temperature flattens everything.
    const rows = ['I am so happy today,anger', 'what a lovely day,fear', 'I am furious with you,joy', 'I am terrified,surprise', 'the train leaves at noon,sadness'];
    const data = join(work, 'contradicting.csv');
    writeFileSync(data, `text,label\n${Array.from({ length: 8 }, () => rows.join('\n')).join('\n')}\n`);
    const r = await cli('calibrate', '--data', data, '--method', 'temperature', '--out', join(work, 'flat.json'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^glassbox: warning: the fitted temperature 148\.4 sits at its bound \(e\^5\).*check --label-column/);
  });
});
