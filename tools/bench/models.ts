/** The models the benchmarks load, relative to the repository root, and what each holds. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelBundle } from '@glassbox/core';
import { shapeOfConfig, type EncoderShape } from './flops.js';

/** Where `npm run bench:model` writes the DistilRoBERTa-shaped bench model. */
export const BENCH_MODEL_DIR = 'models/bench-distilroberta';

export interface BenchModel {
  key: 'bench' | 'mini';
  /** How tables name it. */
  name: string;
  /** Logits-only bundle (optimum layout) both runtimes load: one graph, as standard exports come. */
  dir: string;
  /** The bundle as `glassbox serve` would be pointed at (with attention outputs). */
  servedDir: string;
  /** The bundle holds model_quantized.onnx beside model.onnx. */
  hasQuantized: boolean;
  shape: EncoderShape;
  /** Longest input, special tokens included. */
  maxTokens: number;
}

function describe(key: BenchModel['key'], name: string, dir: string, servedDir: string): BenchModel {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  let hasQuantized = true;
  try {
    loadModelBundle(dir, { variant: 'quantized' });
  } catch {
    hasQuantized = false;
  }
  return { key, name, dir, servedDir, hasQuantized, shape: shapeOfConfig(config), maxTokens: loadModelBundle(dir).config.maxTokens };
}

/** The bench model; throws with the command that makes it when it is absent. */
export function benchModel(repoRoot: string): BenchModel {
  const root = join(repoRoot, BENCH_MODEL_DIR);
  if (!existsSync(join(root, 'no-attentions', 'model.onnx'))) {
    throw new Error(`${BENCH_MODEL_DIR} is missing: run \`npm run bench:model\` first (about 5 minutes on 2 cores)`);
  }
  return describe('bench', 'bench-distilroberta (DistilRoBERTa shape, random weights)', join(root, 'no-attentions'), root);
}

/** The embedded model. */
export function miniModel(repoRoot: string): BenchModel {
  const root = join(repoRoot, 'models', 'emotion-mini');
  // The root graph also outputs attentions (only logits are fetched); its int8 twin lies beside it.
  const config = JSON.parse(readFileSync(join(root, 'config.json'), 'utf8')) as { num_hidden_layers: number; hidden_size: number };
  return describe('mini', `emotion-mini (${config.num_hidden_layers} layers, ${config.hidden_size} wide)`, root, root);
}

/** The served bundle of emotion-mini: `glassbox serve`'s default (its graph also outputs attentions). */
export function servedModelDir(repoRoot: string): string {
  return join(repoRoot, 'models', 'emotion-mini');
}

/** emotion-mini exported without attention outputs. */
export function plainModelDir(repoRoot: string): string {
  return join(repoRoot, 'models', 'emotion-mini', 'no-attentions');
}
