import { createPluginRegistry, type CalibratorPlugin, type PluginRegistry } from '@glassbox/core';
import { isotonicCalibrator } from './isotonic-calibrator.js';
import { plattCalibrator } from './platt-calibrator.js';
import { temperatureCalibrator } from './temperature-calibrator.js';
import { vectorCalibrator } from './vector-calibrator.js';

/** glassbox's calibration methods, in the order `--method` lists them. */
export const BUILTIN_CALIBRATORS: readonly CalibratorPlugin[] = [
  temperatureCalibrator,
  vectorCalibrator,
  plattCalibrator,
  isotonicCalibrator,
];

/** A calibrator registry holding the built-ins. */
export function builtinCalibrators(): PluginRegistry<CalibratorPlugin> {
  const registry = createPluginRegistry('calibrator');
  for (const plugin of BUILTIN_CALIBRATORS) registry.register(plugin);
  return registry;
}
