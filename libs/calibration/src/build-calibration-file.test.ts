import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { buildCalibrationFile, minRowsForConformal } from './build-calibration-file.js';
import { parseCalibration, serializeCalibration } from './calibration-file.js';
import { overconfidentRows } from './test-synthetic.js';

const model = { id: `sha256:${'a'.repeat(64)}`, name: 'test', labels: ['a', 'b', 'c', 'd'] };

describe('buildCalibrationFile', () => {
  it('fits, measures before/after, adds conformal and certificate, and round-trips as a valid file', () => {
    const { logits, labels } = overconfidentRows(3000, 4, 5);
    const file = buildCalibrationFile(logits, labels, 4, { method: 'temperature', model, conformalAlpha: 0.1, abstainRisk: 0.3 });
    expect(file.fitted_on.count).toBe(3000);
    expect(file.metrics?.after.nll).toBeLessThan(file.metrics?.before.nll ?? 0);
    expect(file.conformal?.alpha).toBe(0.1);
    expect(Number.isFinite(file.conformal?.qhat)).toBe(true);
    expect(file.certificate?.risk_bound).toBeLessThanOrEqual(0.3);
    expect(parseCalibration(serializeCalibration(file), { modelId: model.id, labels: model.labels })).toEqual(file);
  });

  it('refuses a conformal alpha the rows are too few for', () => {
    const { logits, labels } = overconfidentRows(5, 4, 1);
    expect(minRowsForConformal(0.1)).toBe(9);
    expect(() => buildCalibrationFile(logits, labels, 4, { method: 'temperature', model, conformalAlpha: 0.1 })).toThrow(GlassboxError);
  });
});
