import { describe, expect, it } from 'vitest';
import type { PipelineResult } from '../plugins/plugin-types.js';
import { predictionView, PredictionViewSchema, topK } from './prediction-view.js';

// A calibrated result: calibration moved joy from 0.5 to 0.7.
const result: PipelineResult = {
  text: 'what a day',
  label: 'joy',
  labelId: 1,
  score: 0.7,
  probabilities: { anger: 0.1, joy: 0.7, fear: 0.2 },
  logits: [0, 1, 0.5],
  tokens: 5,
  truncated: false,
  windows: 1,
  raw: { label: 'joy', score: 0.5, probabilities: { anger: 0.2, joy: 0.5, fear: 0.3 } },
  calibrator: 'temperature',
  abstained: true,
  abstentionReason: 'max-probability 0.7 < 0.8',
};

describe('predictionView', () => {
  it('is the bare view by default: no raw, top_k or conformal set; snake_case abstention fields; the token count', () => {
    const view = predictionView(result);
    expect(view).toEqual({
      label: 'joy',
      score: 0.7,
      probabilities: result.probabilities,
      abstained: true,
      abstention_reason: 'max-probability 0.7 < 0.8',
      truncated: false,
      tokens: 5,
    });
    expect(PredictionViewSchema.strict().parse(view)).toEqual(view);
  });

  it('adds the raw view, top-k of the served probabilities and the conformal set the caller builds from them', () => {
    const seen: unknown[] = [];
    const view = predictionView(result, {
      raw: true,
      topK: 2,
      conformalSet: (p) => {
        seen.push(p);
        return ['joy'];
      },
      truncated: true,
    });
    expect(view.raw).toEqual(result.raw);
    expect(view.top_k).toEqual([
      { label: 'joy', score: 0.7 },
      { label: 'fear', score: 0.2 },
    ]);
    expect(seen).toEqual([result.probabilities]);
    expect(view.conformal_set).toEqual(['joy']);
    expect(view.truncated).toBe(true);
    expect(PredictionViewSchema.strict().parse(view)).toEqual(view);
  });

  it('topK breaks ties by label order and stops at the number of labels', () => {
    expect(topK({ b: 0.4, a: 0.4, c: 0.2 }, 5).map((s) => s.label)).toEqual(['b', 'a', 'c']);
  });
});
