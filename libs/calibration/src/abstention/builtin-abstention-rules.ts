import { createPluginRegistry, type AbstentionPlugin, type PluginRegistry } from '@glassbox/core';
import { certified } from './certified.js';
import { entropy } from './entropy.js';
import { margin } from './margin.js';
import { maxProbability } from './max-probability.js';

/** glassbox's abstention rules, in the order help lists them. */
export const BUILTIN_ABSTENTION_RULES: readonly AbstentionPlugin[] = [
  certified,
  maxProbability,
  margin,
  entropy,
];

/** An abstention registry holding the built-ins. */
export function builtinAbstentionRules(): PluginRegistry<AbstentionPlugin> {
  const registry = createPluginRegistry('abstention');
  for (const plugin of BUILTIN_ABSTENTION_RULES) registry.register(plugin);
  return registry;
}
