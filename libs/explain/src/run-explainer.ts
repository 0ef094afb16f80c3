import {
  assertCapabilities,
  missingCapabilities,
  GlassboxError,
  resolvePluginOptions,
  runPlugin,
  type Encoding,
  type ExplainerPlugin,
  type InferenceEngine,
  type PluginOptionValues,
  type PluginRegistry,
  type PluginSource,
} from '@glassbox/core';
import { slidingWindows, type Granularity } from './occlusion.js';
import { scorePerturbations, type Perturbation } from './perturb.js';
import { tokenUnits, wordUnits, type TextUnit } from './text-units.js';

/** The units a method scores at a granularity, in one model window. */
export function unitsOf(encoding: Encoding, granularity: Granularity, windowSize = 3, windowStride = 1): TextUnit[] {
  if (granularity === 'token') return tokenUnits(encoding);
  if (granularity === 'word') return wordUnits(encoding);
  if (granularity === 'window') return slidingWindows(tokenUnits(encoding), windowSize, windowStride);
  throw new GlassboxError('INVALID_OPTION', `granularity must be token, word or window, got "${String(granularity)}"`);
}

export interface ResolvedMethod {
  plugin: ExplainerPlugin;
  source: PluginSource;
  options: PluginOptionValues;
}

/**
 * The explainers to run: those named (each must be registered, and the model must have what it
 * requires), or every `byDefault` one the model supports. Options are validated against each
 * plugin's schema.
 */
export function resolveMethods(
  registry: PluginRegistry<ExplainerPlugin>,
  engine: InferenceEngine,
  methods: readonly string[] | undefined,
  methodOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {},
): ResolvedMethod[] {
  for (const name of Object.keys(methodOptions)) registry.get(name);
  const names =
    methods ??
    registry
      .entries()
      .filter(({ plugin }) => plugin.byDefault && missingCapabilities(plugin.requires, engine.capabilities).length === 0)
      .map(({ plugin }) => plugin.name);
  if (names.length === 0) throw new GlassboxError('INVALID_OPTION', `no explanation method to run; registered: ${registry.names().join(', ')}`);
  return [...new Set(names)].map((name) => {
    const plugin = registry.get(name);
    assertCapabilities(plugin, engine.capabilities);
    return { plugin, source: registry.sourceOf(name), options: resolvePluginOptions(plugin, methodOptions[name]) };
  });
}

export interface WindowRun {
  engine: InferenceEngine;
  encoding: Encoding;
  units: TextUnit[];
  tokens: TextUnit[];
  /** Sliding windows overlap: a token's score is then the mean of the windows covering it. */
  granularity: Granularity;
  target: number;
  contrast: number | null;
  seed: number;
}

/**
 * Runs one explainer on one model window; returns a score per sequence position and the forward
 * passes it made. A throw, or scores that do not fit the units, fail as PLUGIN_FAILED naming it.
 */
export async function runExplainer(method: ResolvedMethod, w: WindowRun): Promise<{ positions: Map<number, number>; forwardCalls: number }> {
  let forwardCalls = 0;
  const engine: InferenceEngine = {
    ...w.engine,
    forward: (batch, options) => {
      forwardCalls++;
      return w.engine.forward(batch, options);
    },
  };
  const { encoding, units, tokens, target, contrast } = w;
  const maskId = engine.tokenizer.maskId;
  const predict = async (variants: ReadonlyArray<readonly number[]>, options: { baseline?: 'mask' | 'attention' } = {}) => {
    const baseline = options.baseline ?? (maskId !== null ? 'mask' : 'attention');
    if (baseline === 'mask' && maskId === null) {
      throw new GlassboxError('PLUGIN_CAPABILITY_MISSING', `explainer "${method.plugin.name}" asked for the <mask> baseline, but the tokenizer has no <mask> token`);
    }
    const rows = variants.map((variant): Perturbation => {
      const positions = variant.flatMap((u) => {
        if (!Number.isInteger(u) || u < 0 || u >= units.length) throw new Error(`predict(): unit index ${u} is outside 0..${units.length - 1}`);
        return units[u].positions;
      });
      if (baseline === 'mask') {
        const ids = [...encoding.ids];
        for (const p of positions) ids[p] = maskId as number;
        return { ids };
      }
      const mask = encoding.ids.map(() => 1);
      for (const p of positions) mask[p] = 0;
      return { ids: [...encoding.ids], mask };
    });
    return (await scorePerturbations(engine, rows)).probabilities;
  };
  const score = (p: readonly number[]) => p[target] - (contrast === null ? 0 : p[contrast]);
  const { plugin, source } = method;
  const output = await runPlugin(plugin, source, () =>
    plugin.explain({ engine, encoding, units, tokens, labels: engine.labels, target, contrast, options: method.options, seed: w.seed, predict, score }),
  );
  const perToken = !Array.isArray(output) && Array.isArray(output?.tokens);
  const scores = perToken ? (output as { tokens: number[] }).tokens : output;
  const expected = perToken ? tokens : units;
  if (!Array.isArray(scores) || scores.length !== expected.length || !scores.every((s) => typeof s === 'number' && Number.isFinite(s))) {
    const got = Array.isArray(scores) ? `${scores.length} values (finite numbers: ${scores.every(Number.isFinite)})` : typeof scores;
    throw new GlassboxError('PLUGIN_FAILED', `explainer "${plugin.name}" returned ${got}; it must return one finite number per ${perToken ? 'token' : 'unit'} (${expected.length})`);
  }
  return { positions: spread(scores, expected, !perToken && w.granularity === 'window'), forwardCalls };
}

/**
 * Unit scores onto sequence positions: each unit's score spread evenly over its tokens (so token
 * scores add up to unit scores); overlapping units (sliding windows): each token gets the mean
 * score of the windows that cover it.
 */
function spread(scores: readonly number[], units: readonly TextUnit[], overlapping: boolean): Map<number, number> {
  const out = new Map<number, number>();
  if (!overlapping) {
    units.forEach((u, i) => u.positions.forEach((p) => out.set(p, scores[i] / u.positions.length)));
    return out;
  }
  const sums = new Map<number, { s: number; n: number }>();
  units.forEach((u, i) => {
    for (const p of u.positions) {
      const e = sums.get(p) ?? { s: 0, n: 0 };
      e.s += scores[i];
      e.n++;
      sums.set(p, e);
    }
  });
  for (const [p, { s, n }] of sums) out.set(p, s / n);
  return out;
}
