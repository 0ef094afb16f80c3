import { readFile } from 'node:fs/promises';
import { GlassboxError, type AbstentionRule, type Calibrator, type InferenceEngine } from '@glassbox/core';
import { calibrationForEngine, parseAbstentionSpec, type CalibrationFile } from '@glassbox/calibration';

export { lacSet } from '@glassbox/calibration';

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
  return calibrationForEngine(json, engine, path);
}

/** `--abstain` values: `certified` (the calibration's SGR certificate), or e.g. `max-probability:0.5`. */
export function abstentionRule(spec: string, file: CalibrationFile | null): AbstentionRule {
  return parseAbstentionSpec(spec, file);
}
