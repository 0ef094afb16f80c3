import { createPluginRegistry, type ExplainerPlugin, type PluginRegistry } from '@glassbox/core';
import occlusion from './occlusion-explainer.js';
import rollout from './rollout-explainer.js';

/** The explainers glassbox ships, registered like any third-party plugin (source "built-in"). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each has its own options type
export const BUILTIN_EXPLAINERS: ReadonlyArray<ExplainerPlugin<any>> = [
  rollout,
  occlusion,
];

/** A registry holding the built-in explainers. */
export function createExplainerRegistry(): PluginRegistry<ExplainerPlugin> {
  const registry = createPluginRegistry('explainer');
  for (const plugin of BUILTIN_EXPLAINERS) registry.register(plugin);
  return registry;
}
