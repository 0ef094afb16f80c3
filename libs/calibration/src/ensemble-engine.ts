import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  argmax,
  GlassboxError,
  softmax,
  type Calibrator,
  type ClassifyInput,
  type ForwardBatch,
  type ForwardOptions,
  type ForwardResult,
  type InferenceEngine,
  type Prediction,
  type TextInput,
} from '@glassbox/core';

/** An ensemble member: a model, optionally with its own calibration, optionally weighted. */
export type EnsembleMember = InferenceEngine | { engine: InferenceEngine; calibrator?: Calibrator; weight?: number };

export interface EnsembleOptions {
  /**
   * 'probabilities' (default): weighted mean of the members' probabilities; the ensemble's
   * logits are their logarithm, so softmax(logits) gives the mean back. 'logits': weighted mean
   * of the members' logits (log-probabilities for calibrated members).
   */
  combine?: 'probabilities' | 'logits';
  /** Name shown as the model's name (default "ensemble(a+b+...)"). */
  name?: string;
}

interface Member {
  engine: InferenceEngine;
  calibrator: Calibrator | undefined;
  weight: number;
}

/**
 * Combines several models (or one model under several calibrations) into one
 * `InferenceEngine`: everything downstream (calibration, explanation by perturbation,
 * monitoring, serving) treats it as a single model. Fit one calibrator on the ensemble's
 * logits afterwards: calibrating after combining avoids the under-confidence that averaging
 * calibrated members gives.
 */
export function createEnsembleEngine(members: readonly EnsembleMember[], options: EnsembleOptions = {}): InferenceEngine {
  if (members.length < 1) throw new GlassboxError('ENSEMBLE_INVALID', 'an ensemble needs at least one member');
  const list: Member[] = members.map((m) =>
    'engine' in m ? { engine: m.engine, calibrator: m.calibrator, weight: m.weight ?? 1 } : { engine: m, calibrator: undefined, weight: 1 },
  );
  for (const [i, m] of list.entries()) {
    if (!(m.weight > 0 && Number.isFinite(m.weight))) {
      throw new GlassboxError('ENSEMBLE_INVALID', `member ${i} has weight ${m.weight}; weights must be finite and > 0`);
    }
  }
  const total = list.reduce((s, m) => s + m.weight, 0);
  const weights = list.map((m) => m.weight / total);
  const first = list[0].engine;
  const labels = first.labels;
  for (const [i, m] of list.entries()) {
    if (m.engine.labels.join('\u0000') !== labels.join('\u0000')) {
      throw new GlassboxError(
        'ENSEMBLE_INVALID',
        `member ${i} (${m.engine.bundle.name}) has labels [${m.engine.labels.join(', ')}], member 0 has [${labels.join(', ')}]`,
      );
    }
  }
  const combine = options.combine ?? 'probabilities';
  if (combine !== 'probabilities' && combine !== 'logits') {
    throw new GlassboxError('INVALID_OPTION', `combine must be "probabilities" or "logits", got ${JSON.stringify(combine)}`);
  }
  const engines = [...new Set(list.map((m) => m.engine))];
  const tokenizerDigest = (e: InferenceEngine) => createHash('sha256').update(readFileSync(e.bundle.tokenizerPath)).digest('hex');
  const sharedTokenizer = new Set(engines.map(tokenizerDigest)).size === 1;
  const k = labels.length;
  const name = options.name ?? `ensemble(${list.map((m) => m.engine.bundle.name + (m.calibrator ? `/${m.calibrator.name}` : '')).join('+')})`;

  /** Member logits rows [n x k] -> combined logits rows. */
  function combineRows(perEngine: Map<InferenceEngine, Float32Array>, n: number): Float32Array {
    const out = new Float32Array(n * k);
    const acc = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      acc.fill(0);
      list.forEach((m, i) => {
        const row = (perEngine.get(m.engine) as Float32Array).subarray(r * k, (r + 1) * k);
        const probs = m.calibrator ? m.calibrator.calibrate(Float32Array.from(row), k) : Float64Array.from(softmax(row));
        for (let j = 0; j < k; j++) {
          acc[j] += weights[i] * (combine === 'probabilities' ? probs[j] : m.calibrator ? Math.log(Math.max(probs[j], 1e-12)) : row[j]);
        }
      });
      for (let j = 0; j < k; j++) out[r * k + j] = combine === 'probabilities' ? Math.log(Math.max(acc[j], 1e-30)) : acc[j];
    }
    return out;
  }

  async function classifyAll(input: ClassifyInput): Promise<Prediction[]> {
    const results = await Promise.all(engines.map((e) => e.classify(input)));
    const n = results[0].length;
    const perEngine = new Map<InferenceEngine, Float32Array>();
    engines.forEach((e, i) => {
      const rows = new Float32Array(n * k);
      results[i].forEach((p, r) => rows.set(p.logits, r * k));
      perEngine.set(e, rows);
    });
    const logits = combineRows(perEngine, n);
    return results[0].map((base, r) => {
      const row = Array.from(logits.subarray(r * k, (r + 1) * k));
      const probs = softmax(row);
      const best = argmax(probs);
      return {
        ...base,
        label: labels[best],
        labelId: best,
        score: probs[best],
        probabilities: Object.fromEntries(labels.map((l, j) => [l, probs[j]])),
        logits: row,
      };
    });
  }

  return {
    bundle: { ...first.bundle, name },
    labels,
    tokenizer: first.tokenizer,
    // Attentions of which member? None: explainers that need them are refused at registration.
    capabilities: { attentions: false, maskToken: first.capabilities.maskToken },
    maxLength: Math.min(...engines.map((e) => e.maxLength)),
    options: first.options,
    encode: (texts) => first.encode(texts),
    classify: classifyAll,
    async *classifyStream(inputs: AsyncIterable<TextInput> | Iterable<TextInput>, streamOptions: { chunkSize?: number } = {}) {
      const chunkSize = streamOptions.chunkSize ?? first.options.batchSize * 16;
      let chunk: TextInput[] = [];
      for await (const item of inputs as AsyncIterable<TextInput>) {
        chunk.push(item);
        if (chunk.length >= chunkSize) {
          yield* await classifyAll(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) yield* await classifyAll(chunk);
    },
    async forward(batch: ForwardBatch, opts: ForwardOptions = {}): Promise<ForwardResult> {
      if (opts.attentions) {
        throw new GlassboxError('PLUGIN_CAPABILITY_MISSING', 'an ensemble has no attention outputs; explain its members one by one');
      }
      if (!sharedTokenizer) {
        throw new GlassboxError('ENSEMBLE_INVALID', 'forward() needs members that share one tokenizer; these members use different tokenizer.json files');
      }
      const outs = await Promise.all(engines.map((e) => e.forward(batch)));
      const perEngine = new Map(engines.map((e, i) => [e, outs[i].logits]));
      return { logits: combineRows(perEngine, batch.batchSize), numLabels: k };
    },
    async modelId() {
      const ids = await Promise.all(list.map((m) => m.engine.modelId()));
      const spec = JSON.stringify({ combine, members: list.map((m, i) => ({ id: ids[i], calibrator: m.calibrator?.id ?? m.calibrator?.name ?? null, weight: weights[i] })) });
      return `sha256:${createHash('sha256').update(spec).digest('hex')}`;
    },
    async tokenizerId() {
      // One tokenizer: its id; several: the id of the list, so a change in any member shows.
      const ids = await Promise.all(engines.map((e) => e.tokenizerId()));
      return sharedTokenizer ? ids[0] : `sha256:${createHash('sha256').update(JSON.stringify(ids)).digest('hex')}`;
    },
    async dispose() {
      await Promise.all(engines.map((e) => e.dispose()));
    },
  };
}
