import { createPluginRegistries, loadPlugins, type DriftStatisticPlugin, type PluginRegistry } from '@glassbox/core';
import { BUILTIN_DRIFT_STATISTICS } from '@glassbox/monitor';

/**
 * The drift statistics a server's monitor computes: the built-ins, then those of the plugin files
 * and packages in `specs` (the `plugins` option). A spec that does not load, or a descriptor that
 * does not validate, rejects with its coded error.
 */
export async function openDriftStatistics(specs: readonly string[] = [], cwd = process.cwd()): Promise<PluginRegistry<DriftStatisticPlugin>> {
  const registries = createPluginRegistries();
  for (const plugin of BUILTIN_DRIFT_STATISTICS) registries.register(plugin);
  await loadPlugins(specs, { cwd, registries });
  return registries['drift-statistic'];
}
