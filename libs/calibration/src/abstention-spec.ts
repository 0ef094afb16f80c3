import { readFile } from 'node:fs/promises';
import { GlassboxError, type AbstentionRule, type Calibrator, type InferenceEngine } from '@glassbox/core';
import { ruleFromCertificate } from './abstention-certificate.js';
import { entropyRule, marginRule, maxProbabilityRule } from './abstention-rules.js';
import { createCalibrator } from './calibration-method.js';
import { calibrationId, parseCalibration, type CalibrationFile } from './calibration-file.js';

export const ABSTENTION_SPECS = 'certified, max-probability:T, margin:T, entropy:BITS';

/**
 * An abstention rule from its spelling (the CLI's --abstain, the server's `abstain` option): `certified` (the calibration file's SGR
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

/** Labels in the LAC conformal set (1 - p <= qhat), most probable first. */
export function lacSet(probabilities: Readonly<Record<string, number>>, qhat: number): string[] {
  return Object.entries(probabilities)
    .filter(([, p]) => 1 - p <= qhat)
    .sort((a, b) => b[1] - a[1])
    .map(([l]) => l);
}

/**
 * Parses a calibration file's JSON for `engine` (refused when it was fitted for another model or
 * other labels) and builds its calibrator.
 */
export async function calibrationForEngine(
  json: string,
  engine: Pick<InferenceEngine, 'modelId' | 'labels'>,
  source: string,
): Promise<{ file: CalibrationFile; calibrator: Calibrator }> {
  const file = parseCalibration(json, { modelId: await engine.modelId(), labels: engine.labels }, source);
  return { file, calibrator: createCalibrator(file.calibration, calibrationId(file)) };
}

/** Reads a calibration file from disk and checks it against `engine` (see calibrationForEngine). */
export async function readCalibrationForEngine(
  path: string,
  engine: Pick<InferenceEngine, 'modelId' | 'labels'>,
): Promise<{ file: CalibrationFile; calibrator: Calibrator }> {
  let json: string;
  try {
    json = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read calibration ${path}: ${(cause as Error).message}`, { cause });
  }
  return calibrationForEngine(json, engine, path);
}
