import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GlassboxError } from '../errors.js';

/** What glassbox reads from a bundle's config.json. */
export interface ModelConfig {
  modelType: string;
  /** Label names by id. */
  labels: readonly string[];
  numLayers: number | null;
  numHeads: number | null;
  /** max_position_embeddings from config.json. */
  maxPositions: number | null;
  /** Longest sequence the model takes, special tokens included (RoBERTa: 514 - 2 = 512). */
  maxTokens: number;
  padTokenId: number | null;
}

/** Which ONNX graph of a bundle: the float one (`model.onnx`) or the int8 one (`model_quantized.onnx`). */
export type ModelVariant = 'fp32' | 'quantized';

/** The variants, in the order a bundle is searched when none is asked for. */
export const MODEL_VARIANTS: readonly ModelVariant[] = ['fp32', 'quantized'];

export interface ModelBundle {
  /** Absolute path of the bundle directory. */
  readonly dir: string;
  /** Bundle name: config's `name_or_path` or the directory name. */
  readonly name: string;
  readonly layout: 'optimum' | 'transformers.js';
  /** Which graph modelPath is. */
  readonly variant: ModelVariant;
  readonly modelPath: string;
  readonly configPath: string;
  readonly tokenizerPath: string;
  readonly config: ModelConfig;
}

export interface LoadModelBundleOptions {
  /**
   * Which graph to load. Without one, the bundle's fp32 graph when it has one, else its
   * quantized one (a folder holding only `onnx/model_quantized.onnx` loads). Asking for a
   * variant the folder lacks throws BUNDLE_VARIANT_MISSING naming the graphs it has.
   */
  variant?: ModelVariant;
}

const MODEL_FILES: Record<ModelVariant, Array<{ path: string; layout: ModelBundle['layout'] }>> = {
  fp32: [
    { path: 'model.onnx', layout: 'optimum' },
    { path: 'onnx/model.onnx', layout: 'transformers.js' },
  ],
  quantized: [
    { path: 'model_quantized.onnx', layout: 'optimum' },
    { path: 'onnx/model_quantized.onnx', layout: 'transformers.js' },
  ],
};

/** Where a bundle of `layout` keeps its `variant` graph, relative to the bundle directory. */
export function graphPath(variant: ModelVariant, layout: ModelBundle['layout']): string {
  return (MODEL_FILES[variant].find((c) => c.layout === layout) ?? MODEL_FILES[variant][0]).path;
}

/** The graphs a directory holds, in search order (fp32 first). */
export function bundleGraphs(dir: string): Array<{ path: string; layout: ModelBundle['layout']; variant: ModelVariant }> {
  return MODEL_VARIANTS.flatMap((variant) => MODEL_FILES[variant].filter((c) => existsSync(join(dir, c.path))).map((c) => ({ ...c, variant })));
}

/**
 * Reads a model directory in the layouts users have: an optimum export (`model.onnx` at the
 * root) or the transformers.js layout (`onnx/model.onnx`, `onnx/model_quantized.onnx`), each
 * with `config.json` and `tokenizer.json`.
 */
export function loadModelBundle(dir: string, options: LoadModelBundleOptions = {}): ModelBundle {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new GlassboxError('BUNDLE_NOT_FOUND', `model directory ${root} does not exist or is not a directory`);
  }
  const asked = options.variant;
  if (asked !== undefined && !MODEL_VARIANTS.includes(asked)) {
    throw new GlassboxError('INVALID_OPTION', `variant must be one of ${MODEL_VARIANTS.join(', ')}, got ${JSON.stringify(asked)}`);
  }
  const present = bundleGraphs(root);
  const found = asked === undefined ? present[0] : present.find((c) => c.variant === asked);
  if (!found) {
    const all = MODEL_VARIANTS.flatMap((v) => MODEL_FILES[v].map((c) => c.path));
    if (present.length === 0) {
      throw new GlassboxError('BUNDLE_FILE_MISSING', `no ONNX model in ${root}: expected one of ${all.join(', ')}`);
    }
    throw new GlassboxError(
      'BUNDLE_VARIANT_MISSING',
      `${root} has no ${asked} graph (${MODEL_FILES[asked ?? 'fp32'].map((c) => c.path).join(' or ')}); ` +
        `it has ${present.map((c) => `${c.path} (${c.variant})`).join(', ')}: ask for ${[...new Set(present.map((c) => c.variant))].join(' or ')}, or leave the variant out`,
    );
  }
  const configPath = join(root, 'config.json');
  const tokenizerPath = join(root, 'tokenizer.json');
  for (const [file, what] of [
    [configPath, 'config.json (labels and architecture)'],
    [tokenizerPath, 'tokenizer.json (a Hugging Face fast tokenizer)'],
  ] as const) {
    if (!existsSync(file)) {
      throw new GlassboxError('BUNDLE_FILE_MISSING', `${file} is missing: the bundle needs ${what}`);
    }
  }
  const config = parseModelConfig(configPath);
  const raw = JSON.parse(readFileSync(configPath, 'utf8')) as { name_or_path?: string; _name_or_path?: string };
  return {
    dir: root,
    name: raw.name_or_path ?? raw._name_or_path ?? root.split(/[\\/]/).pop() ?? 'model',
    layout: found.layout,
    variant: found.variant,
    modelPath: join(root, found.path),
    configPath,
    tokenizerPath,
    config,
  };
}

export function parseModelConfig(configPath: string): ModelConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new GlassboxError('BUNDLE_FILE_INVALID', `${configPath} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const id2label = raw['id2label'];
  if (!id2label || typeof id2label !== 'object') {
    throw new GlassboxError('BUNDLE_FILE_INVALID', `${configPath} has no id2label object (e.g. {"0": "anger", ...})`);
  }
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = [];
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof v !== 'string' || v === '') {
      throw new GlassboxError(
        'BUNDLE_FILE_INVALID',
        `${configPath}: id2label must map the ids 0..${entries.length - 1} to non-empty names; bad entry ${JSON.stringify(k)}: ${JSON.stringify(v)}`,
      );
    }
    labels[i] = v;
  }
  if (labels.length < 2) {
    throw new GlassboxError('BUNDLE_FILE_INVALID', `${configPath}: id2label needs at least two labels`);
  }
  const num = (key: string): number | null => (typeof raw[key] === 'number' ? (raw[key] as number) : null);
  const modelType = typeof raw['model_type'] === 'string' ? (raw['model_type'] as string) : 'unknown';
  const maxPositions = num('max_position_embeddings');
  const padTokenId = num('pad_token_id');
  // RoBERTa-family models offset positions by padding_idx + 1, so two positions are unusable.
  const offset = modelType === 'roberta' || modelType === 'xlm-roberta' || modelType === 'camembert' ? (padTokenId ?? 1) + 1 : 0;
  return {
    modelType,
    labels,
    numLayers: num('num_hidden_layers') ?? num('n_layers'),
    numHeads: num('num_attention_heads') ?? num('n_heads'),
    maxPositions,
    maxTokens: maxPositions === null ? 512 : maxPositions - offset,
    padTokenId,
  };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** SHA-256 of the model file: the identity calibrations and monitors are tied to. */
export function computeModelId(bundle: Pick<ModelBundle, 'modelPath'>): Promise<string> {
  return hashFile(bundle.modelPath);
}

/**
 * SHA-256 of the bundle's tokenizer.json (its bytes): with the model id, the identity a
 * calibration is tied to (the same graph fed other token ids gives other logits).
 */
export function computeTokenizerId(bundle: Pick<ModelBundle, 'tokenizerPath'>): Promise<string> {
  return hashFile(bundle.tokenizerPath);
}
