import type { AbstentionPlugin } from '@glassbox/core';
import { CERTIFIABLE_RULES, ruleFromCertificate, type AbstentionCertificate } from '../abstention-certificate.js';
import type { CalibrationFile } from '../calibration-file.js';

/** An abstention rule whose options come from the calibration file (e.g. its SGR certificate). */
export interface CalibrationAbstentionPlugin<O> extends AbstentionPlugin<O> {
  /** Its options from the calibration file, or null when the file lacks what it needs. */
  fromCalibration(file: CalibrationFile | null): O | null;
  /** What to do when `fromCalibration` gives null. */
  readonly needs: string;
}

type CertifiedOptions = { rule: AbstentionCertificate['rule']; threshold: number };

/**
 * `--abstain certified`: the rule and threshold of the calibration file's Selection-with-
 * Guaranteed-Risk certificate (`glassbox calibrate --abstain-risk`).
 */
export const certified: CalibrationAbstentionPlugin<CertifiedOptions> = {
  kind: 'abstention',
  name: 'certified',
  description: "The calibration file's certified rule and threshold (selective risk guaranteed; glassbox calibrate --abstain-risk).",
  options: {
    rule: { type: 'string', default: 'max-probability', enum: CERTIFIABLE_RULES, description: 'The certified score.' },
    threshold: { type: 'number', default: 0, description: "The certified threshold, on the score's own scale." },
  },
  decide: (probabilities, labels, options) => ruleFromCertificate(options as AbstentionCertificate).decide(probabilities, labels),
  fromCalibration: (file) => (file?.certificate ? { rule: file.certificate.rule, threshold: file.certificate.threshold } : null),
  needs: 'a calibration file with a certificate (fit it with `glassbox calibrate --abstain-risk` and pass calibrationPath)',
};
