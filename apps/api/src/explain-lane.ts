import type { InferenceEngine } from '@glassbox/core';
import { explanationCost, type ExplainOptions, type ExplanationCost } from '@glassbox/explain';
import { ApiError } from './api-errors.js';
import type { PriorityScheduler } from './priority-scheduler.js';

export interface ExplainBudget {
  /** Most units occlusion occludes (maxExplainUnits). */
  maxUnits: number;
  /** Most forward passes (maxExplainForwardPasses). */
  maxForwardPasses: number;
}

/**
 * The engine as an explanation sees it: every forward pass (and its one prediction) goes to the
 * model through the scheduler's low-priority 'explain' lane, in chunks of at most `chunkTokens`
 * padded tokens, and stops at the next chunk once `signal` aborts (CLIENT_CLOSED). Tokenizing
 * stays on the caller's thread. It does not own the engine: dispose() does nothing.
 * `maxForwardPasses` caps the passes (the prediction included) at run time, for explainers whose
 * declared cost is wrong: the pass over it fails with 422 EXPLAIN_BUDGET_EXCEEDED.
 */
export function explanationEngine(
  engine: InferenceEngine,
  scheduler: PriorityScheduler,
  chunkTokens: number,
  signal?: AbortSignal,
  maxForwardPasses = Number.POSITIVE_INFINITY,
): InferenceEngine {
  const maxBatchTokens = Math.max(engine.maxLength, chunkTokens);
  let passes = 0;
  const count = () => {
    if (++passes > maxForwardPasses) {
      throw new ApiError(
        'EXPLAIN_BUDGET_EXCEEDED',
        `the explanation took more than ${maxForwardPasses} forward passes (maxExplainForwardPasses), more than its methods declared; ask for fewer methods or a cheaper setting`,
      );
    }
  };
  return {
    bundle: engine.bundle,
    labels: engine.labels,
    tokenizer: engine.tokenizer,
    capabilities: engine.capabilities,
    maxLength: engine.maxLength,
    options: { ...engine.options, maxBatchTokens },
    encode: (texts) => engine.encode(texts),
    modelId: () => engine.modelId(),
    tokenizerId: () => engine.tokenizerId(),
    classify: (input) => {
      count();
      return scheduler.run('explain', () => engine.classify(input), signal);
    },
    forward: (batch, options) => {
      count();
      return scheduler.run('explain', () => engine.forward(batch, options), signal);
    },
    classifyStream: () => {
      throw new ApiError('INTERNAL', 'explanations do not stream');
    },
    dispose: async () => undefined,
  };
}

/**
 * The cost of explaining `text`, refused with 422 EXPLAIN_BUDGET_EXCEEDED (saying what to change)
 * when it is over `budget` or asks for faithfulness on a text longer than the model's maximum.
 * `engine` should be the explanation engine, so forward passes are counted in its chunks.
 */
export async function checkExplainBudget(engine: InferenceEngine, text: string, options: ExplainOptions, budget: ExplainBudget, label = 'the text'): Promise<ExplanationCost> {
  const cost = await explanationCost(engine, text, options);
  const granularity = options.granularity ?? 'word';
  // Characters that would fit, in proportion: a shorter text is always one way out.
  const fitting = (limit: number, used: number) => Math.max(1, Math.floor((text.length * limit) / Math.max(1, used)));
  if (options.faithfulness && !cost.faithfulnessFits) {
    throw new ApiError(
      'EXPLAIN_BUDGET_EXCEEDED',
      `faithfulness needs the whole text in one forward pass: ${label} has ${cost.tokens} tokens and the model takes at most ${engine.maxLength}; send a shorter text (about ${fitting(engine.maxLength, cost.tokens)} characters) or faithfulness: false`,
    );
  }
  const overUnits = cost.units > budget.maxUnits;
  const overPasses = cost.forwardPasses > budget.maxForwardPasses;
  if (!overUnits && !overPasses) return cost;
  // Occluded units the budget allows: its own limit, and what the forward passes left after the
  // prediction and the single passes (rollout's) leave for the perturbations (each window's rows in passes of `perPass`).
  const w = cost.windows;
  const perPass = Math.max(1, Math.min(engine.options.batchSize, Math.floor(engine.options.maxBatchTokens / engine.maxLength)));
  const allowed = Math.min(budget.maxUnits, (budget.maxForwardPasses - 1 - cost.singlePasses - w) * perPass - w);
  // Sliding windows of `stride` tokens give at most tokens/stride + 1 units per model window.
  const tokenUnits = (await explanationCost(engine, text, { ...options, granularity: 'token', faithfulness: false })).units;
  const stride = allowed > w ? Math.max(2, Math.ceil(tokenUnits / (allowed - w))) : null;
  const ways = [
    ...(options.faithfulness ? ['faithfulness: false'] : []),
    ...(granularity === 'token' ? ['granularity "word"'] : []),
    ...(stride !== null ? [`granularity "window" with window_size and window_stride of ${stride}`] : []),
    `a shorter text (about ${fitting(Math.max(1, allowed), cost.units)} characters)`,
  ];
  const what = overUnits
    ? `would occlude ${cost.units} units at granularity "${granularity}"; the budget is ${budget.maxUnits} (maxExplainUnits)`
    : `would take ${cost.forwardPasses} forward passes; the budget is ${budget.maxForwardPasses} (maxExplainForwardPasses)`;
  throw new ApiError('EXPLAIN_BUDGET_EXCEEDED', `explaining ${label} ${what}. Use ${ways.join(', or ')}`);
}
