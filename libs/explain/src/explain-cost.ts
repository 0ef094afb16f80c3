import type { InferenceEngine } from '@glassbox/core';
import { ERASER_BINS } from './faithfulness.js';
import { windowEncodings, type ExplainMethod, type ExplainOptions } from './explain-text.js';
import { slidingWindows } from './occlusion.js';
import { tokenUnits, wordUnits } from './text-units.js';

/** What explaining one text would cost, computed before any forward pass. */
export interface ExplanationCost {
  /** Tokens of the whole text, special tokens included. */
  tokens: number;
  /** Model windows the text is explained over (1 when it fits the model's maximum length). */
  windows: number;
  /** Units occlusion occludes, over every window (0 without occlusion). */
  units: number;
  /**
   * Forward passes, at most: the prediction, occlusion's perturbations and rollout per window,
   * and faithfulness's perturbations; with the engine's batchSize and maxBatchTokens per pass.
   */
  forwardPasses: number;
  /** Faithfulness needs the whole text in one window. */
  faithfulnessFits: boolean;
  methods: readonly ExplainMethod[];
}

/** Passes needed for `rows` sequences of `length` tokens each, as scorePerturbations batches them. */
function passes(rows: number, length: number, engine: InferenceEngine): number {
  const perPass = Math.max(1, Math.min(engine.options.batchSize, Math.floor(engine.options.maxBatchTokens / Math.max(1, length))));
  return Math.ceil(rows / perPass);
}

/**
 * The cost of `explainText(engine, text, options)`, from the tokenizer alone: so a server can
 * refuse an explanation over its budget before running any of it. Identical perturbations are
 * computed once by explainText, so its `forward_calls` can come out lower, never higher.
 */
export async function explanationCost(engine: InferenceEngine, text: string, options: ExplainOptions = {}): Promise<ExplanationCost> {
  const methods = options.methods ?? (engine.capabilities.attentions ? ['rollout', 'occlusion'] : ['occlusion']);
  const granularity = options.granularity ?? 'word';
  const [full] = await engine.encode([text]);
  const windows = windowEncodings(full, engine);
  let units = 0;
  let forwardPasses = 1; // the prediction itself
  for (const w of windows) {
    const length = w.encoding.ids.length;
    if (methods.includes('occlusion')) {
      const tokens = tokenUnits(w.encoding);
      const n =
        granularity === 'token'
          ? tokens.length
          : granularity === 'window'
            ? slidingWindows(tokens, options.windowSize ?? 3, options.windowStride ?? 1).length
            : wordUnits(w.encoding).length;
      units += n;
      forwardPasses += passes(n + 1, length, engine);
    }
    if (methods.includes('rollout')) forwardPasses++;
  }
  const faithfulnessFits = windows.length === 1;
  if (options.faithfulness && faithfulnessFits) {
    // The full text, then per ranking (each method and the random one) and bin: remove and keep.
    const rows = 1 + (methods.length + 1) * ERASER_BINS.length * 2;
    forwardPasses += passes(rows, full.ids.length, engine);
  }
  return { tokens: full.ids.length, windows: windows.length, units, forwardPasses, faithfulnessFits, methods };
}
