/**
 * Frozen features for head training: one engine pass over the texts (tokenized, truncated to
 * the model's length, length-bucketed batches), keeping each text's `<s>` hidden state and the
 * base model's logits. The engine must load a graph with the `features` output
 * (`exposeHiddenStateInModel`).
 */
import { lengthBuckets, padBatch, splitIntoWindows, type InferenceEngine } from '@glassbox/core';

export interface FrozenFeatures {
  /** Row-major [n x featureSize]. */
  features: Float32Array;
  featureSize: number;
  /** The base model's logits, row-major [n x numLabels]. */
  logits: Float32Array;
  numLabels: number;
}

export interface ExtractFeaturesOptions {
  /** Texts tokenized at once (default 1024). */
  chunkSize?: number;
  /** Called with the number of texts done so far. */
  onProgress?: (done: number) => void;
}

export async function extractFeatures(engine: InferenceEngine, texts: readonly string[], options: ExtractFeaturesOptions = {}): Promise<FrozenFeatures> {
  const chunkSize = options.chunkSize ?? 1024;
  const { batchSize, maxBatchTokens, maxLength } = engine.options;
  const truncate = { maxLength, longText: 'truncate' as const, chunkOverlap: 0 };
  let features: Float32Array | null = null;
  let featureSize = 0;
  const numLabels = engine.labels.length;
  const logits = new Float32Array(texts.length * numLabels);
  for (let start = 0; start < texts.length; start += chunkSize) {
    const chunk = texts.slice(start, start + chunkSize);
    const ids = (await engine.encode(chunk)).map((e) => splitIntoWindows(e.ids, truncate, engine.tokenizer.eosId)[0]);
    for (const batch of lengthBuckets(ids.map((x) => x.length), batchSize, maxBatchTokens)) {
      const out = await engine.forward(padBatch(batch.map((i) => ids[i]), engine.tokenizer.padId), { features: true });
      const f = out.features as Float32Array;
      featureSize = out.featureSize as number;
      features ??= new Float32Array(texts.length * featureSize);
      batch.forEach((i, r) => {
        const row = start + i;
        features?.set(f.subarray(r * featureSize, (r + 1) * featureSize), row * featureSize);
        logits.set(out.logits.subarray(r * numLabels, (r + 1) * numLabels), row * numLabels);
      });
    }
    options.onProgress?.(Math.min(texts.length, start + chunk.length));
  }
  return { features: features ?? new Float32Array(0), featureSize, logits, numLabels };
}
