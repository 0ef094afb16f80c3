import { type AbstentionRule, type Calibrator, type InferenceEngine } from '@glassbox/core';
import { parseAbstentionSpec, readCalibrationForEngine, type CalibrationFile } from '@glassbox/calibration';

export { lacSet } from '@glassbox/calibration';

export interface LoadedCalibration {
  file: CalibrationFile;
  calibrator: Calibrator;
}

/** Reads a calibration file and checks it was fitted for this model (by the model file's hash). */
export const loadCalibration: (path: string, engine: InferenceEngine) => Promise<LoadedCalibration> = readCalibrationForEngine;

/** `--abstain` values: `certified` (the calibration's SGR certificate), or e.g. `max-probability:0.5`. */
export function abstentionRule(spec: string, file: CalibrationFile | null): AbstentionRule {
  return parseAbstentionSpec(spec, file);
}
