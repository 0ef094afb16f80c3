import { createPluginRegistry, type ExplainerPlugin, type PluginRegistry } from '@glassbox/core';
import * as builtins from './builtin-explainer-list.js';

/** The explainers glassbox ships, registered like any third-party plugin (source "built-in"). */
export const BUILTIN_EXPLAINERS: readonly ExplainerPlugin[] = Object.values(builtins) as readonly ExplainerPlugin[];

/** A registry holding the built-in explainers. */
export function createExplainerRegistry(): PluginRegistry<ExplainerPlugin> {
  const registry = createPluginRegistry('explainer');
  for (const plugin of BUILTIN_EXPLAINERS) registry.register(plugin);
  return registry;
}
