import { type AbstentionRule, type Calibrator, type InferenceEngine, type PluginRegistries } from '@glassbox/core';
import { parseAbstentionSpec, readCalibrationForEngine, type CalibrationFile } from '@glassbox/calibration';

export { lacSet } from '@glassbox/calibration';

export interface LoadedCalibration {
  file: CalibrationFile;
  calibrator: Calibrator;
}

/**
 * The registries a command looks calibration methods and --abstain rules up in: the built-ins
 * plus what --plugin loaded (runCli passes them); each absent one means the built-ins.
 */
export type CalibrationPlugins = Partial<Pick<PluginRegistries, 'calibrator' | 'abstention'>>;

/**
 * Reads a calibration file and checks it was fitted for this model (by the hashes of model.onnx and
 * tokenizer.json); a file that records no tokenizer hash is used with a one-line warning on `err`.
 * A plugin's method reads back only with that plugin in `plugins.calibrator`.
 */
export async function loadCalibration(
  path: string,
  engine: InferenceEngine,
  plugins: CalibrationPlugins = {},
  err: NodeJS.WritableStream = process.stderr,
): Promise<LoadedCalibration> {
  const { file, calibrator, warning } = await readCalibrationForEngine(path, engine, plugins.calibrator);
  if (warning) err.write(`glassbox: warning: ${warning}\n`);
  return { file, calibrator };
}

/** `--abstain` values: `certified` (the calibration's SGR certificate), `max-probability:0.5`, or a plugin rule's NAME[:VALUE]. */
export function abstentionRule(spec: string, file: CalibrationFile | null, plugins: CalibrationPlugins = {}): AbstentionRule {
  return parseAbstentionSpec(spec, file, plugins.abstention);
}
