import { createPluginRegistry, type DriftStatisticPlugin, type PluginRegistry } from '@glassbox/core';
import { chiSquare } from './chi-square-statistic.js';
import { jsDistance } from './js-distance.js';
import { ks } from './ks.js';
import { psi } from './psi.js';
import { wasserstein } from './wasserstein.js';

/** glassbox's drift statistics, registered in this order (the order alarms are evaluated in). */
export const BUILTIN_DRIFT_STATISTICS: readonly DriftStatisticPlugin[] = [
  psi,
  jsDistance,
  ks,
  chiSquare,
  wasserstein,
];

/** A drift-statistic registry holding the built-ins. */
export function builtinDriftStatistics(): PluginRegistry<DriftStatisticPlugin> {
  const registry = createPluginRegistry('drift-statistic');
  for (const plugin of BUILTIN_DRIFT_STATISTICS) registry.register(plugin);
  return registry;
}
