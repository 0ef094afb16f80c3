import { readFile } from 'node:fs/promises';
import { GlassboxError, type AbstentionRule, type Calibrator, type InferenceEngine } from '@glassbox/core';
import {
  createCalibrator,
  entropyRule,
  marginRule,
  maxProbabilityRule,
  parseCalibration,
  ruleFromCertificate,
  type CalibrationFile,
} from '@glassbox/calibration';

export interface LoadedCalibration {
  file: CalibrationFile;
  calibrator: Calibrator;
}

/** Reads a calibration file and checks it was fitted for this model (by the model file's hash). */
export async function loadCalibration(path: string, engine: InferenceEngine): Promise<LoadedCalibration> {
  let json: string;
  try {
    json = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read calibration ${path}: ${(cause as Error).message}`, { cause });
  }
  const file = parseCalibration(json, { modelId: await engine.modelId(), labels: engine.labels }, path);
  return { file, calibrator: createCalibrator(file.calibration, file.fitted_on.sha256) };
}

/** Labels whose calibrated probability is within the LAC set: 1 - p <= qhat. */
export function lacSet(probabilities: Record<string, number>, qhat: number): string[] {
  return Object.entries(probabilities)
    .filter(([, p]) => 1 - p <= qhat)
    .sort((a, b) => b[1] - a[1])
    .map(([l]) => l);
}

const RULES = 'certified, max-probability:T, margin:T, entropy:BITS';

/**
 * `--abstain` values: `certified` (the calibration's SGR certificate), or a rule with its
 * threshold, e.g. `max-probability:0.5`, `margin:0.2`, `entropy:1.5`.
 */
export function abstentionRule(spec: string, file: CalibrationFile | null): AbstentionRule {
  if (spec === 'certified') {
    if (!file?.certificate) {
      throw new GlassboxError('INVALID_OPTION', '--abstain certified needs a calibration fitted with --abstain-risk (pass --calibration FILE)');
    }
    return ruleFromCertificate(file.certificate);
  }
  const m = /^([a-z-]+):([0-9.]+)$/.exec(spec);
  const value = m ? Number(m[2]) : NaN;
  if (m && Number.isFinite(value)) {
    if (m[1] === 'max-probability') return maxProbabilityRule(value);
    if (m[1] === 'margin') return marginRule(value);
    if (m[1] === 'entropy') return entropyRule(value);
  }
  throw new GlassboxError('INVALID_OPTION', `--abstain "${spec}" is not a rule; use one of ${RULES}`);
}
