import type { ClassifyInput, InferenceEngine, Prediction } from '../engine/inference-engine.js';
import { argmax, softmax } from '../math/softmax.js';
import type { AbstentionRule, Calibrator, PipelineResult, PredictionObserver } from '../plugins/plugin-types.js';

export interface PipelineOptions {
  engine: InferenceEngine;
  calibrator?: Calibrator;
  /** Abstain when any rule says so; the first rule that abstains gives the reason. */
  abstention?: readonly AbstentionRule[];
  observers?: readonly PredictionObserver[];
  /** Where observer failures go; they never reach the caller. Default: one warning per observer. */
  onObserverError?: (error: unknown, observer: PredictionObserver) => void;
}

export interface Pipeline {
  run(input: ClassifyInput): Promise<PipelineResult[]>;
  /** Calibrate, abstain and observe predictions the engine already made. */
  process(predictions: readonly Prediction[]): Promise<PipelineResult[]>;
}

/** Composes classify -> calibrate -> abstain -> observe. */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { engine, calibrator, abstention = [], observers = [] } = options;
  const labels = engine.labels;
  const warned = new Set<PredictionObserver>();
  const onObserverError =
    options.onObserverError ??
    ((error: unknown, observer: PredictionObserver) => {
      if (warned.has(observer)) return;
      warned.add(observer);
      process.emitWarning(`glassbox observer "${observer.name}" failed: ${(error as Error)?.message ?? error}`);
    });

  async function processPredictions(predictions: readonly Prediction[]): Promise<PipelineResult[]> {
    const k = labels.length;
    let calibrated: Float32Array | null = null;
    if (calibrator && predictions.length > 0) {
      const logits = new Float32Array(predictions.length * k);
      predictions.forEach((p, i) => logits.set(p.logits, i * k));
      calibrated = calibrator.calibrate(logits, k);
    }
    const results = predictions.map((p, i): PipelineResult => {
      const raw = { label: p.label, score: p.score, probabilities: p.probabilities };
      const probs = calibrated ? Float64Array.from(calibrated.subarray(i * k, (i + 1) * k)) : Float64Array.from(labels, (l) => p.probabilities[l]);
      const best = argmax(probs);
      const probabilities: Record<string, number> = {};
      labels.forEach((l, j) => {
        probabilities[l] = probs[j];
      });
      let abstained = false;
      let abstentionReason: string | null = null;
      for (const rule of abstention) {
        const d = rule.decide(probs, labels);
        if (d.abstain) {
          abstained = true;
          abstentionReason = d.reason ?? rule.name;
          break;
        }
      }
      return {
        ...p,
        label: labels[best],
        labelId: best,
        score: probs[best],
        probabilities,
        raw,
        calibrator: calibrator ? calibrator.name : null,
        abstained,
        abstentionReason,
      };
    });
    for (const observer of observers) {
      for (const r of results) {
        try {
          const pending = observer.observe(r);
          if (pending && typeof (pending as Promise<void>).catch === 'function') {
            (pending as Promise<void>).catch((e) => onObserverError(e, observer));
          }
        } catch (e) {
          onObserverError(e, observer);
        }
      }
    }
    return results;
  }

  return {
    async run(input) {
      return processPredictions(await engine.classify(input));
    },
    process: processPredictions,
  };
}

/** Uncalibrated probabilities of a logits row, for plugins that need them. */
export function probabilitiesFromLogits(logits: ArrayLike<number>): number[] {
  return softmax(logits);
}
