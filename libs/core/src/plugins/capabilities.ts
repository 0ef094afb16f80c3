import { GlassboxError } from '../errors.js';

/** What a model offers that a plugin may require. */
export type Capability = 'attentions' | 'mask-token' | 'hidden-states';

export interface ModelCapabilities {
  /** The graph outputs per-layer attention probabilities `attentions.N` [B, heads, S, S]. */
  attentions: boolean;
  /** The tokenizer has a mask token (occlusion baselines). */
  maskToken: boolean;
  /** The graph outputs per-layer hidden states (no built-in model export has them yet). */
  hiddenStates?: boolean;
}

/** Each capability: the flag that says a model has it, and what to do when it lacks it. */
export const CAPABILITIES: Record<Capability, { flag: keyof ModelCapabilities; missing: string }> = {
  attentions: {
    flag: 'attentions',
    missing:
      'needs attention outputs, which this model graph lacks: run `glassbox expose-attentions IN.onnx OUT.onnx` and use the exposed model',
  },
  'mask-token': { flag: 'maskToken', missing: 'needs a <mask> token, which this tokenizer lacks' },
  'hidden-states': { flag: 'hiddenStates', missing: 'needs hidden-state outputs, which this model graph lacks: export the model with them' },
};

/** The capabilities of `requires` that `model` lacks, in order. */
export function missingCapabilities(requires: readonly Capability[] | undefined, model: ModelCapabilities): Capability[] {
  return (requires ?? []).filter((need) => !model[CAPABILITIES[need].flag]);
}

/**
 * Throws PLUGIN_CAPABILITY_MISSING, naming the plugin and saying what to do, when `model` lacks
 * something the plugin requires. The one place that message is written.
 */
export function assertCapabilities(plugin: { kind: string; name: string; requires?: readonly Capability[] }, model: ModelCapabilities): void {
  const [missing] = missingCapabilities(plugin.requires, model);
  if (missing === undefined) return;
  throw new GlassboxError('PLUGIN_CAPABILITY_MISSING', `${plugin.kind} "${plugin.name}" ${CAPABILITIES[missing].missing}`, {
    details: { plugin: plugin.name, kind: plugin.kind, capability: missing },
  });
}
