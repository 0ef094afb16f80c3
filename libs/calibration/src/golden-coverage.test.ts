import { describe, expect, it } from 'vitest';
import { goldenExpectedKeys, HAS_GOLDEN } from './test-golden.js';

/** Every key of golden.json's `expected` and the test file that reproduces it. */
const COVERED: Record<string, string> = {
  temperature: 'temperature.test.ts',
  calibration_nll_before: 'temperature.test.ts',
  calibration_nll_after: 'temperature.test.ts',
  platt_ovr_params: 'platt.test.ts',
  'conformal_lac.alpha': 'conformal.test.ts (input)',
  'conformal_lac.qhat': 'conformal.test.ts',
  'conformal_lac.coverage': 'conformal.test.ts',
  'conformal_lac.mean_set_size': 'conformal.test.ts',
  'selective_sgr.target_risk': 'selective.test.ts (input)',
  'selective_sgr.delta': 'selective.test.ts (input)',
  'selective_sgr.threshold': 'selective.test.ts',
  'selective_sgr.risk_bound': 'selective.test.ts',
  'selective_sgr.test_coverage': 'selective.test.ts',
  'selective_sgr.test_risk': 'selective.test.ts',
  test_aurc_temperature: 'selective.test.ts',
  cbpe_estimated_accuracy_temperature: 'cbpe.test.ts',
};
for (const split of ['test_raw', 'test_temperature']) {
  for (const m of ['accuracy', 'ece15', 'mce15', 'brier', 'nll']) COVERED[`${split}.${m}`] = 'metrics.test.ts';
}
for (const m of ['accuracy', 'ece15', 'mce15', 'brier', 'nll']) COVERED[`test_platt.${m}`] = 'platt.test.ts';

describe.skipIf(!HAS_GOLDEN)('golden fixture coverage', () => {
  it('has a reproducing test for every expected value', () => {
    const missing = goldenExpectedKeys().filter((key) => !(key in COVERED));
    expect(missing).toEqual([]);
  });
});
