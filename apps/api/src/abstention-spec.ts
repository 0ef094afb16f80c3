import { GlassboxError, type AbstentionRule } from '@glassbox/core';
import { entropyRule, marginRule, maxProbabilityRule, ruleFromCertificate, type CalibrationFile } from '@glassbox/calibration';

export const ABSTENTION_SPECS = 'certified, max-probability:T, margin:T, entropy:BITS';

/**
 * The `abstain` option, spelled as the CLI's --abstain: `certified` (the calibration file's SGR
 * certificate), or a rule with its threshold, e.g. `max-probability:0.5`, `margin:0.2`, `entropy:1.5`.
 */
export function parseAbstentionSpec(spec: string, calibration: CalibrationFile | null): AbstentionRule {
  if (spec === 'certified') {
    if (!calibration?.certificate) {
      throw new GlassboxError(
        'INVALID_OPTION',
        'abstain "certified" needs a calibration file with a certificate (fit it with `glassbox calibrate --abstain-risk` and pass calibrationPath)',
      );
    }
    return ruleFromCertificate(calibration.certificate);
  }
  const m = /^([a-z-]+):([0-9.]+)$/.exec(spec);
  const value = m ? Number(m[2]) : NaN;
  if (m && Number.isFinite(value)) {
    if (m[1] === 'max-probability') return maxProbabilityRule(value);
    if (m[1] === 'margin') return marginRule(value);
    if (m[1] === 'entropy') return entropyRule(value);
  }
  throw new GlassboxError('INVALID_OPTION', `abstain "${spec}" is not a rule; use one of ${ABSTENTION_SPECS}`);
}
