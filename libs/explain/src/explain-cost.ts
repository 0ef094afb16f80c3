import type { InferenceEngine } from '@glassbox/core';
import { ERASER_BINS } from './faithfulness.js';
import { defaultExplainers, windowEncodings, type ExplainMethod, type ExplainOptions } from './explain-text.js';
import { resolveMethods, unitsOf } from './run-explainer.js';
import { tokenUnits } from './text-units.js';

/** What explaining one text would cost, computed before any forward pass. */
export interface ExplanationCost {
  /** Tokens of the whole text, special tokens included. */
  tokens: number;
  /** Model windows the text is explained over (1 when it fits the model's maximum length or is truncated). */
  windows: number;
  /** Units the perturbing methods score, over every window (0 when none perturbs). */
  units: number;
  /**
   * Forward passes, at most: the prediction, each method's perturbations (batched with the
   * engine's batchSize and maxBatchTokens) and single passes per window, and faithfulness's
   * perturbations. A method that declares no cost is counted as one pass per unit plus one.
   */
  forwardPasses: number;
  /** Of those, single passes that do not grow with the units (e.g. rollout's one per window). */
  singlePasses: number;
  /** Faithfulness needs what is explained in one window (always so for a truncated text). */
  faithfulnessFits: boolean;
  methods: readonly ExplainMethod[];
}

/** Passes needed for `rows` sequences of `length` tokens each, as scorePerturbations batches them. */
function passes(rows: number, length: number, engine: InferenceEngine): number {
  const perPass = Math.max(1, Math.min(engine.options.batchSize, Math.floor(engine.options.maxBatchTokens / Math.max(1, length))));
  return Math.ceil(rows / perPass);
}

/**
 * The cost of `explainText(engine, text, options)`, from the tokenizer and each explainer's
 * declared cost: so a server can refuse an explanation over its budget before running any of it.
 * Identical perturbations are computed once by explainText, so its `forward_calls` can come out
 * lower, never higher (for explainers that declare their cost truthfully).
 */
export async function explanationCost(engine: InferenceEngine, text: string, options: ExplainOptions = {}): Promise<ExplanationCost> {
  const methods = resolveMethods(options.explainers ?? defaultExplainers(), engine, options.methods, options.methodOptions);
  const granularity = options.granularity ?? 'word';
  const [full] = await engine.encode([text]);
  const windows = windowEncodings(full, engine);
  let units = 0;
  let forwardPasses = 1; // the prediction itself
  let singlePasses = 0;
  for (const w of windows) {
    const length = w.encoding.ids.length;
    const size = { units: unitsOf(w.encoding, granularity, options.windowSize, options.windowStride).length, tokens: tokenUnits(w.encoding).length };
    let perturbs = false;
    for (const { plugin, options: pluginOptions } of methods) {
      const declared = plugin.cost?.(size, pluginOptions);
      // Unknown cost: every unit and the whole window, each in a pass of its own.
      const cost = declared ?? { forwardPasses: size.units + 1 };
      const perturbations = Math.max(0, Math.ceil(cost.perturbations ?? 0));
      const single = Math.max(0, Math.ceil(cost.forwardPasses ?? 0));
      if (perturbations > 0 || declared === undefined) perturbs = true;
      if (perturbations > 0) forwardPasses += passes(perturbations, length, engine);
      forwardPasses += single;
      if (declared !== undefined) singlePasses += single;
    }
    if (perturbs) units += size.units;
  }
  const faithfulnessFits = windows.length === 1;
  if (options.faithfulness && faithfulnessFits) {
    // The full text, then per ranking (each method and the random one) and bin: remove and keep.
    const rows = 1 + (methods.length + 1) * ERASER_BINS.length * 2;
    forwardPasses += passes(rows, windows[0].encoding.ids.length, engine);
  }
  const names = methods.map((m) => m.plugin.name);
  return { tokens: full.ids.length, windows: windows.length, units, forwardPasses, singlePasses, faithfulnessFits, methods: names };
}
