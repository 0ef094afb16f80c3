// Test helpers: the embedded models, and a session wrapper that counts forward passes.
import { fileURLToPath } from 'node:url';
import type { InferenceEngine } from '@glassbox/core';

export const miniModelDir = fileURLToPath(new URL('../../../models/emotion-mini', import.meta.url));
export const miniNoAttentionsDir = fileURLToPath(new URL('../../../models/emotion-mini/no-attentions', import.meta.url));

/** The same engine, with `forward` counted. */
export function countingEngine(engine: InferenceEngine): InferenceEngine & { calls: () => number } {
  let calls = 0;
  return {
    ...engine,
    forward: (batch, options) => {
      calls++;
      return engine.forward(batch, options);
    },
    calls: () => calls,
  };
}
