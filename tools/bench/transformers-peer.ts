/**
 * The peer: transformers.js's `text-classification` pipeline over the same ONNX file glassbox
 * loads. transformers.js wants its own folder layout, so one is built in the system's temp
 * directory (a symlink to the model, the bundle's config and tokenizer, and a generated
 * tokenizer_config.json), and remote models are switched off: nothing is downloaded.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { loadModelBundle } from '@glassbox/core';
import { robertaTokenizerConfig } from '../make-bench-model/roberta-tokenizer.mjs';

/** One label's score, as the pipeline returns it. */
export interface LabelScore {
  label: string;
  score: number;
}

export interface PeerClassifier {
  /** transformers.js's version. */
  readonly version: string;
  /** All labels' scores per text (`top_k: null`), in one pipeline call. */
  classify(texts: readonly string[]): Promise<LabelScore[][]>;
  /** One text, one pipeline call. */
  classifyOne(text: string): Promise<LabelScore[]>;
  /** Releases the session and removes the temporary folder; idempotent. */
  dispose(): Promise<void>;
}

/** What the peer's session is told; ONNX Runtime's defaults when empty. */
export interface PeerOptions {
  intraOpThreads?: number;
  /** 'fp32' (onnx/model.onnx, the default) or 'q8' (onnx/model_quantized.onnx: the bundle's quantized graph). */
  dtype?: 'fp32' | 'q8';
}

const MODEL_NAME = 'glassbox-bench-model';

/**
 * Loads `bundleDir` (config.json, model.onnx, tokenizer.json) into a transformers.js pipeline,
 * offline: its fp32 graph, or with `dtype: 'q8'` its model_quantized.onnx.
 */
export async function createPeerClassifier(bundleDir: string, options: PeerOptions = {}): Promise<PeerClassifier> {
  const bundle = loadModelBundle(bundleDir);
  const root = mkdtempSync(join(tmpdir(), 'glassbox-bench-tjs-'));
  const dir = join(root, MODEL_NAME);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  symlinkSync(bundle.modelPath, join(dir, 'onnx', 'model.onnx'));
  const dtype = options.dtype ?? 'fp32';
  if (dtype === 'q8') symlinkSync(loadModelBundle(bundleDir, { variant: 'quantized' }).modelPath, join(dir, 'onnx', 'model_quantized.onnx'));
  copyFileSync(join(bundleDir, 'config.json'), join(dir, 'config.json'));
  copyFileSync(bundle.tokenizerPath, join(dir, 'tokenizer.json'));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(robertaTokenizerConfig(bundle.config.maxTokens)));

  env.allowRemoteModels = false;
  env.localModelPath = root;
  const sessionOptions = options.intraOpThreads === undefined ? {} : { intraOpNumThreads: options.intraOpThreads };
  let classifier;
  try {
    classifier = await pipeline('text-classification', MODEL_NAME, { dtype, session_options: sessionOptions });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  let disposed = false;
  return {
    version: env.version,
    async classify(texts) {
      return (await classifier([...texts], { top_k: null })) as LabelScore[][];
    },
    async classifyOne(text) {
      return (await classifier(text, { top_k: null })) as LabelScore[];
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await classifier.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Scores keyed by label, in `labels` order. Throws when a label is missing. */
export function scoresInOrder(scores: readonly LabelScore[], labels: readonly string[]): number[] {
  const byLabel = new Map(scores.map((s) => [s.label, s.score]));
  return labels.map((label) => {
    const score = byLabel.get(label);
    if (score === undefined) throw new Error(`transformers.js returned no score for label "${label}"`);
    return score;
  });
}
