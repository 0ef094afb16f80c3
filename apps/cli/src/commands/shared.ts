import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createInferenceEngine, createPluginRegistries, GlassboxError, loadPlugins, type InferenceEngine, type ModelVariant, type PluginRegistries } from '@glassbox/core';
import { BUILTIN_DRIFT_STATISTICS } from '@glassbox/monitor';
import { createEnsembleEngine } from '@glassbox/calibration';

/** The npm package holding the default model (models/emotion-mini in this repository). */
export const DEFAULT_MODEL_PACKAGE = '@glassbox/emotion-mini';

/**
 * The model used without --model: $GLASSBOX_MODEL, else the folder of the @glassbox/emotion-mini
 * package as Node resolves it from this file, so it is found wherever the CLI is installed, not
 * relative to the working directory. Throws BUNDLE_NOT_FOUND when that package is missing.
 */
export function defaultModelDir(): string {
  if (process.env['GLASSBOX_MODEL']) return process.env['GLASSBOX_MODEL'];
  try {
    return dirname(createRequire(import.meta.url).resolve(`${DEFAULT_MODEL_PACKAGE}/package.json`));
  } catch {
    throw new GlassboxError('BUNDLE_NOT_FOUND', `no --model given and the default model package ${DEFAULT_MODEL_PACKAGE} is not installed (npm install ${DEFAULT_MODEL_PACKAGE}, or pass --model DIR)`);
  }
}

export interface EngineFlags {
  /** One directory, or several for an ensemble. */
  model?: string | string[];
  combine?: 'probabilities' | 'logits';
  batchSize?: number;
  threads?: number;
  /** Which graph of each bundle: fp32 or quantized (default: fp32 when present, else quantized). */
  variant?: ModelVariant;
  longText?: 'truncate' | 'chunk';
}

/** Opens the model, or an ensemble (probabilities averaged by default) when several are given. */
export async function openEngine(flags: EngineFlags): Promise<InferenceEngine> {
  const dirs = flags.model === undefined ? [defaultModelDir()] : ([] as string[]).concat(flags.model);
  for (const dir of dirs) {
    if (!existsSync(dir)) {
      throw new GlassboxError('BUNDLE_NOT_FOUND', `model directory ${dir} does not exist (pass --model DIR)`);
    }
  }
  const options = {
    batchSize: flags.batchSize ?? 32,
    longText: flags.longText ?? 'truncate',
    ...(flags.threads ? { intraOpThreads: flags.threads } : {}),
    ...(flags.variant ? { variant: flags.variant } : {}),
  };
  const engines: InferenceEngine[] = [];
  try {
    for (const dir of dirs) engines.push(await createInferenceEngine(dir, options));
  } catch (e) {
    await Promise.all(engines.map((x) => x.dispose()));
    throw e;
  }
  return engines.length === 1 ? engines[0] : createEnsembleEngine(engines, { combine: flags.combine ?? 'probabilities' });
}

export function parseNumberIn(name: string, min: number, max: number, exclusive = true) {
  return (value: string): number => {
    const n = Number(value);
    const ok = Number.isFinite(n) && (exclusive ? n > min && n < max : n >= min && n <= max);
    if (!ok) {
      throw new GlassboxError('INVALID_OPTION', `${name} must be a number in ${exclusive ? '(' : '['}${min}, ${max}${exclusive ? ')' : ']'}, got "${value}"`);
    }
    return n;
  };
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new GlassboxError('INVALID_OPTION', `${name} must be a positive integer, got "${value}"`);
    }
    return n;
  };
}

/** Maps a label cell (name or id) to a label id, or throws UNKNOWN_LABEL naming the valid ones. */
export function labelId(labels: readonly string[], cell: string, where: string): number {
  const trimmed = cell.trim();
  const byName = labels.indexOf(trimmed);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(trimmed) && Number(trimmed) < labels.length) return Number(trimmed);
  throw new GlassboxError(
    'UNKNOWN_LABEL',
    `${where}: label "${cell}" is neither a label name (${labels.join(', ')}) nor an id 0..${labels.length - 1}`,
  );
}

/**
 * Every plugin kind's registry for a CLI command: the built-ins, then the --plugin files and
 * packages in order (relative paths and package names from the working directory).
 */
export async function loadCliPlugins(specs: readonly string[] = [], cwd = process.cwd()): Promise<PluginRegistries> {
  const registries = createPluginRegistries();
  for (const plugin of BUILTIN_DRIFT_STATISTICS) registries.register(plugin);
  await loadPlugins(specs, { cwd, registries });
  return registries;
}
