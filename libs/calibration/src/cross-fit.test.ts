import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { buildCalibrationFile } from './build-calibration-file.js';
import { parseCalibration, serializeCalibration } from './calibration-file.js';
import { assignFolds, crossFitCalibration } from './cross-fit.js';
import { mulberry32 } from './random.js';
import { overconfidentRows } from './test-synthetic.js';

/** A value the test expects to be there, failing with `what` when it is not. */
function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

const model = { id: `sha256:${'a'.repeat(64)}`, name: 'test', labels: ['a', 'b', 'c', 'd'] };

/** Rows whose labels are independent of their logits: nothing generalizes from them. */
function noiseRows(n: number, k: number, seed: number): { logits: Float32Array; labels: Int32Array } {
  const rng = mulberry32(seed);
  return {
    logits: Float32Array.from({ length: n * k }, () => 4 * (rng() - 0.5)),
    labels: Int32Array.from({ length: n }, () => Math.floor(rng() * k)),
  };
}

describe('assignFolds', () => {
  it('puts every row in one fold, with fold sizes at most one apart, the same way on every run', () => {
    const fold = assignFolds(103, 5, 1);
    const sizes = [0, 0, 0, 0, 0];
    for (const f of fold) sizes[f]++;
    expect(sizes.reduce((a, b) => a + b)).toBe(103);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(assignFolds(103, 5, 1)).toEqual(fold);
    expect(assignFolds(103, 5, 2)).not.toEqual(fold);
    // Shuffled, not blocks of consecutive rows (a sorted file would put one class in one fold).
    expect(Array.from(fold.subarray(0, 21)).every((f) => f === fold[0])).toBe(false);
  });
});

describe('crossFitCalibration', () => {
  it('scores each row by a fit that never saw it: a flexible calibrator looks calibrated in-sample on noise, not held-out', () => {
    const { logits, labels } = noiseRows(400, 4, 3);
    const file = buildCalibrationFile(logits, labels, 4, { method: 'isotonic', model });
    const held = present(file.metrics?.held_out, 'held-out metrics');
    expect(held).toMatchObject({ method: 'cross-fit', folds: 5, seed: 1, count: 400 });
    // Isotonic fitted on the rows it is scored on chases their noise; on unseen rows it cannot.
    expect(present(file.metrics, 'metrics').after.ece).toBeLessThan(held.after.ece);
    expect(held.after.nll).toBeGreaterThan(present(file.metrics, 'metrics').after.nll);
    // The same fits by hand: fold f's rows calibrated by a fit on the other folds only.
    expect(crossFitCalibration(logits, labels, 4, { method: 'isotonic' })).toEqual(held);
  });

  it('agrees with in-sample where the recipe cannot overfit (one temperature on many rows)', () => {
    const { logits, labels } = overconfidentRows(4000, 4, 5);
    const file = buildCalibrationFile(logits, labels, 4, { method: 'temperature', model });
    const held = present(file.metrics?.held_out, 'held-out metrics');
    expect(Math.abs(held.after.nll - present(file.metrics, 'metrics').after.nll)).toBeLessThan(0.01);
    expect(held.after.nll).toBeLessThan(present(file.metrics, 'metrics').before.nll);
  });

  it('measures conformal coverage and abstention on held-out folds against their targets', () => {
    const { logits, labels } = overconfidentRows(3000, 4, 7);
    const held = present(crossFitCalibration(logits, labels, 4, { method: 'temperature', conformalAlpha: 0.1, abstainRisk: 0.3 }), 'held-out metrics');
    expect(present(held.conformal, 'conformal figures').target_coverage).toBeCloseTo(0.9, 12);
    // Split conformal covers 1 - alpha on exchangeable rows (3000 rows: within 2 points).
    expect(Math.abs(present(held.conformal, 'conformal figures').coverage - 0.9)).toBeLessThan(0.02);
    expect(present(held.conformal, 'conformal figures').mean_set_size).toBeGreaterThan(1);
    expect(held.abstention).toMatchObject({ folds_certified: 5, count: 3000, target_risk: 0.3 });
    expect(present(held.abstention, 'abstention figures').selective_risk).toBeLessThanOrEqual(0.3);
    expect(present(held.abstention, 'abstention figures').coverage).toBeGreaterThan(0);
    expect(present(held.abstention, 'abstention figures').coverage).toBeLessThan(1);
  });

  it('says so when no fold admits an abstention certificate instead of inventing figures', () => {
    const { logits, labels } = noiseRows(300, 4, 9);
    const held = present(crossFitCalibration(logits, labels, 4, { method: 'temperature', abstainRisk: 0.05 }), 'held-out metrics');
    expect(held.abstention).toEqual({ folds_certified: 0, count: 0, coverage: 0, selective_risk: 0, target_risk: 0.05 });
  });

  it('is skipped when a fold would hold fewer than 10 rows, and can be turned off', () => {
    const { logits, labels } = overconfidentRows(49, 4, 1);
    expect(crossFitCalibration(logits, labels, 4, { method: 'temperature' })).toBeNull();
    expect(buildCalibrationFile(logits, labels, 4, { method: 'temperature', model }).metrics?.held_out).toBeUndefined();
    const many = overconfidentRows(500, 4, 1);
    expect(buildCalibrationFile(many.logits, many.labels, 4, { method: 'temperature', model, heldOutFolds: false }).metrics?.held_out).toBeUndefined();
    expect(() => crossFitCalibration(many.logits, many.labels, 4, { method: 'temperature', folds: 1 })).toThrow(/folds must be an integer >= 2/);
  });
});

describe('held-out metrics in the calibration file', () => {
  it('round-trip, and a file without them (written before) still reads', () => {
    const { logits, labels } = overconfidentRows(600, 4, 11);
    const file = buildCalibrationFile(logits, labels, 4, { method: 'temperature', model, conformalAlpha: 0.1 });
    expect(file.metrics?.held_out?.conformal).toBeDefined();
    expect(parseCalibration(serializeCalibration(file))).toEqual(file);
    const older = structuredClone(file);
    delete present(older.metrics, 'metrics').held_out;
    expect(parseCalibration(serializeCalibration(older)).metrics?.held_out).toBeUndefined();
  });

  it('refuses a malformed held_out record naming the field', () => {
    const { logits, labels } = overconfidentRows(600, 4, 11);
    const json = JSON.parse(serializeCalibration(buildCalibrationFile(logits, labels, 4, { method: 'temperature', model })));
    json.metrics.held_out.folds = 1;
    let error: unknown;
    try {
      parseCalibration(JSON.stringify(json), {}, 'cal.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GlassboxError);
    expect((error as GlassboxError).code).toBe('CALIBRATION_FILE_INVALID');
    expect((error as GlassboxError).message).toContain('metrics.held_out.folds');
  });
});
