/**
 * The sides of a throughput comparison, each as a `Contender` over the same texts: bare ONNX
 * Runtime on pre-tokenized, length-sorted batches (the floor), glassbox's engine at its defaults,
 * and transformers.js's pipeline (the peer).
 */
import { availableParallelism } from 'node:os';
import { createOnnxSession, lengthBuckets, padBatch, type Encoding, type InferenceEngine, type OnnxSession } from '@glassbox/core';
import { encoderFlops, type EncoderShape } from './flops.js';
import type { Contender } from './measure.js';
import type { PeerClassifier } from './transformers-peer.js';

/** Sequences per forward pass for the floor and the peer's largest batch. */
export const FLOOR_BATCH = 32;

/** Pre-tokenized forward batches and the FLOPs they cost. */
export interface PreparedBatches {
  feeds: Array<Record<string, { data: BigInt64Array; dims: number[] }>>;
  /** Matrix-product FLOPs of all batches (padding included). */
  flops: number;
  /** Padded tokens of all batches. */
  tokens: number;
}

/** Length-sorted batches of at most `batchSize` sequences, padded to each batch's longest. */
export function prepareBatches(encodings: readonly Pick<Encoding, 'ids'>[], padId: number, shape: EncoderShape, batchSize = FLOOR_BATCH): PreparedBatches {
  const lengths = encodings.map((e) => e.ids.length);
  const prepared: PreparedBatches = { feeds: [], flops: 0, tokens: 0 };
  for (const rows of lengthBuckets(lengths, batchSize, Number.MAX_SAFE_INTEGER)) {
    const batch = padBatch(rows.map((r) => encodings[r].ids), padId);
    const dims = [batch.batchSize, batch.seqLen];
    prepared.feeds.push({ input_ids: { data: batch.inputIds, dims }, attention_mask: { data: batch.attentionMask, dims } });
    prepared.flops += encoderFlops(shape, batch.batchSize, batch.seqLen);
    prepared.tokens += batch.batchSize * batch.seqLen;
  }
  return prepared;
}

/** A bare session with every core as intra-op threads (what the issue measured as the floor). */
export function bareSession(modelPath: string): Promise<OnnxSession> {
  return createOnnxSession(modelPath, { intraOpThreads: availableParallelism() });
}

/** The floor: `session.run` on each prepared batch, logits only. */
export function bareContender(label: string, session: OnnxSession, batches: PreparedBatches): Contender {
  return {
    label,
    async run() {
      for (const feeds of batches.feeds) await session.run(feeds, ['logits']);
    },
  };
}

/** glassbox at its defaults: one `classify` call over all texts (it tokenizes and batches them). */
export function engineContender(label: string, engine: InferenceEngine, texts: readonly string[]): Contender {
  return { label, run: () => engine.classify([...texts]) };
}

/** The pipeline, called with consecutive batches of `batchSize` texts in input order. */
export function peerContender(label: string, peer: PeerClassifier, texts: readonly string[], batchSize: number): Contender {
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += batchSize) batches.push(texts.slice(i, i + batchSize));
  return {
    label,
    async run() {
      for (const batch of batches) await peer.classify(batch);
    },
  };
}
