import { GlassboxError, splitIntoWindows, type Encoding, type ExplainerPlugin, type InferenceEngine, type PluginRegistry } from '@glassbox/core';
import { agreementOf } from './agreement.js';
import { createExplainerRegistry } from './builtin-explainers.js';
import type { Explanation } from './explanation-schema.js';
import { faithfulness, rankByScore } from './faithfulness.js';
import type { Granularity } from './occlusion.js';
import { resolveMethods, runExplainer, unitsOf } from './run-explainer.js';
import { aggregateScores, tokenUnits, wordUnits, type TextUnit } from './text-units.js';

/** The name of a registered explainer (built-in: rollout, occlusion, shapley). */
export type ExplainMethod = string;

export interface ExplainOptions {
  /** Registered explainers to run (default: every `byDefault` one the model supports). */
  methods?: readonly ExplainMethod[];
  /** Per method, its options (each plugin's schema says which, with their defaults). */
  methodOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Where the methods are looked up (default: the built-in explainers). */
  explainers?: PluginRegistry<ExplainerPlugin>;
  /** Label name or id to explain (default: the predicted label). */
  target?: string | number;
  /** Explain "target rather than contrast" (every method that is not class-agnostic). */
  contrast?: string | number;
  /** Units shown and scored (default 'word'). */
  granularity?: Granularity;
  windowSize?: number;
  windowStride?: number;
  /** Also score every method (and a random ranking) for comprehensiveness and sufficiency. */
  faithfulness?: boolean;
  /** Seed of randomised methods and of the random ranking (default 0). */
  seed?: number;
}

export type { Explanation } from './explanation-schema.js';

let builtins: PluginRegistry<ExplainerPlugin> | null = null;
/** The built-in explainers, registered once. */
export function defaultExplainers(): PluginRegistry<ExplainerPlugin> {
  return (builtins ??= createExplainerRegistry());
}

/**
 * Explains one prediction: runs the chosen registered explainers, maps their scores back onto the
 * text at token, word or window granularity, and optionally scores their faithfulness against a
 * random ranking. A text longer than the model's maximum is explained over what its prediction
 * read: under the engine's `longText: 'truncate'` (the default) its first window only, and the
 * result says `truncated` with the whole text's token count; under `'chunk'` window by window, so
 * every token of the whole text gets a score.
 */
export async function explainText(engine: InferenceEngine, text: string, options: ExplainOptions = {}): Promise<Explanation> {
  if (typeof text !== 'string' || text.trim() === '') throw new GlassboxError('INVALID_INPUT', 'the text to explain is empty');
  const labels = engine.labels;
  const methods = resolveMethods(options.explainers ?? defaultExplainers(), engine, options.methods, options.methodOptions);
  const granularity = options.granularity ?? 'word';
  const [full] = await engine.encode([text]);
  const [prediction] = await engine.classify(text);
  const predicted = prediction.labelId;
  const target = options.target === undefined ? predicted : labelIndex(labels, options.target);
  const contrast = options.contrast === undefined ? null : labelIndex(labels, options.contrast);

  // Windows over long texts: each is explained on its own; a position covered by several
  // windows gets the mean of their scores.
  const windows = windowEncodings(full, engine);
  // What the explanation covers: the one window when there is one (the whole text, or the part
  // a truncated prediction read), else the whole text.
  const read = windows.length === 1 ? windows[0].encoding : full;
  const truncated = read.ids.length < full.ids.length;
  const sums: Record<string, Map<number, { s: number; n: number }>> = {};
  let forwardCalls = 0;
  for (const w of windows) {
    const units = unitsOf(w.encoding, granularity, options.windowSize, options.windowStride);
    const tokens = tokenUnits(w.encoding);
    for (const method of methods) {
      const run = { engine, encoding: w.encoding, units, tokens, granularity, target, contrast, seed: options.seed ?? 0 };
      const r = await runExplainer(method, run);
      forwardCalls += r.forwardCalls;
      const m = (sums[method.plugin.name] ??= new Map());
      for (const [p, v] of r.positions) {
        const e = m.get(w.offset[p]) ?? { s: 0, n: 0 };
        e.s += v;
        e.n++;
        m.set(w.offset[p], e);
      }
    }
  }
  const tokenScore = (method: string) => new Map([...(sums[method] ?? new Map()).entries()].map(([p, { s, n }]) => [p, s / n]));
  const units: TextUnit[] = granularity === 'word' ? wordUnits(read) : tokenUnits(read);
  const words = wordUnits(read);
  const attributions: Record<string, number[]> = {};
  const wordAttributions: Record<string, number[]> = {};
  for (const { plugin } of methods) {
    const scores = tokenScore(plugin.name);
    attributions[plugin.name] = aggregateScores(scores, units);
    wordAttributions[plugin.name] = aggregateScores(scores, words);
  }
  const result: Explanation = {
    text,
    label: labels[predicted],
    target: labels[target],
    contrast: contrast === null ? null : labels[contrast],
    probabilities: prediction.probabilities,
    granularity,
    tokens: units.map(({ text: t, start, end }) => ({ text: t, start, end })),
    attributions,
    words: words.map(({ text: t, start, end }) => ({ text: t, start, end })),
    word_attributions: wordAttributions,
    class_agnostic: methods.filter((m) => m.plugin.classAgnostic).map((m) => m.plugin.name),
    windows: windows.length,
    forward_calls: forwardCalls,
    truncated,
    text_tokens: full.ids.length,
  };
  const agreement = agreementOf(attributions, Math.max(1, Math.ceil(0.2 * units.length)));
  if (agreement) result.agreement = agreement;
  if (options.faithfulness) {
    if (windows.length > 1) {
      throw new GlassboxError('INVALID_OPTION', `faithfulness needs the whole text in one forward pass; this text has ${full.ids.length} tokens (max ${engine.maxLength})`);
    }
    const rankings = Object.fromEntries(Object.entries(attributions).map(([m, s]) => [m, rankByScore(s)]));
    result.faithfulness = await faithfulness(engine, read, units, rankings, { target, seed: options.seed ?? 0 });
  }
  return result;
}

function labelIndex(labels: readonly string[], v: string | number): number {
  const i = typeof v === 'number' ? v : labels.indexOf(v);
  if (!Number.isInteger(i) || i < 0 || i >= labels.length) {
    throw new GlassboxError('UNKNOWN_LABEL', `label ${JSON.stringify(v)} is not one of ${labels.join(', ')}`);
  }
  return i;
}

export interface Window {
  encoding: Encoding;
  /** Position in the window -> position in the full encoding. */
  offset: number[];
}

/**
 * The model windows a text is explained over: the whole encoding when it fits; for a longer one,
 * what the engine's predictions read: its first window under `longText: 'truncate'` (the very
 * tokens a truncated prediction sees), overlapping chunks of the whole text under `'chunk'`.
 */
export function windowEncodings(full: Encoding, engine: InferenceEngine): Window[] {
  if (full.ids.length <= engine.maxLength) return [{ encoding: full, offset: full.ids.map((_, i) => i) }];
  const width = engine.maxLength - 2;
  const overlap = engine.options.chunkOverlap;
  const chunks = splitIntoWindows(full.ids, { maxLength: engine.maxLength, longText: 'chunk', chunkOverlap: overlap }, engine.tokenizer.eosId);
  // The first chunk is exactly the truncated sequence: <s>, the first maxLength - 2 tokens, </s>.
  const pieces = engine.options.longText === 'truncate' ? chunks.slice(0, 1) : chunks;
  return pieces.map((ids, w) => {
    const start = 1 + w * (width - overlap);
    const offset = ids.map((_, i) => (i === 0 ? 0 : i === ids.length - 1 ? full.ids.length - 1 : start + i - 1));
    return {
      encoding: {
        text: full.text,
        ids,
        tokens: offset.map((p) => full.tokens[p]),
        offsets: offset.map((p) => full.offsets[p]),
        special: offset.map((p) => full.special[p]),
      },
      offset,
    };
  });
}
