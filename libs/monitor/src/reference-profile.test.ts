import { describe, expect, it } from 'vitest';
import { CONFIDENCE_BUCKETS } from './buckets.js';
import { buildReferenceProfile, parseReferenceProfile } from './reference-profile.js';
import type { ReferenceProfile } from './reference-profile.js';

const labels = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];

function sample(): ReferenceProfile {
  return buildReferenceProfile(
    [
      [0.05, 0.05, 0.05, 0.7, 0.05, 0.05, 0.05], // joy, confidence 0.7, margin 0.65
      { probabilities: Float32Array.of(0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1) }, // neutral 0.4
      { probabilities: { anger: 0.96, disgust: 0.01, fear: 0.01, joy: 0.01, neutral: 0.01, sadness: 0, surprise: 0 } },
    ],
    labels,
    'sha256:abc',
  );
}

describe('buildReferenceProfile', () => {
  it('counts signals into the default buckets', () => {
    const p = sample();
    expect(p.format).toBe('glassbox-reference');
    expect(p.version).toBe(1);
    expect(p.n).toBe(3);
    expect(p.model).toEqual({ id: 'sha256:abc', labels });
    expect(p.buckets.confidence).toEqual([...CONFIDENCE_BUCKETS]);
    // 0.4 -> le 0.4 (index 2), 0.7 -> le 0.7 (index 5), 0.96 -> le 0.99 (index 9).
    expect(p.counts.confidence).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0]);
    expect(p.counts.labels).toEqual([1, 0, 0, 1, 1, 0, 0]);
    expect(p.counts.margin.reduce((a, b) => a + b)).toBe(3);
    expect(p.counts.entropy.reduce((a, b) => a + b)).toBe(3);
    expect(p.mean_confidence).toBeCloseTo((0.7 + 0.4 + 0.96) / 3, 6);
  });

  it('round-trips through JSON', () => {
    const p = sample();
    expect(parseReferenceProfile(JSON.stringify(p))).toEqual(p);
  });

  it('rejects empty input and malformed predictions with INVALID_INPUT', () => {
    expect(() => buildReferenceProfile([], labels, 'm')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => buildReferenceProfile([[0.5, 0.5]], labels, 'm')).toThrow(/reference prediction 0/);
  });

  it('rejects bad labels, model id or buckets with INVALID_OPTION', () => {
    expect(() => buildReferenceProfile([[1, 0]], ['a', 'a'], 'm')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => buildReferenceProfile([[1, 0]], ['a', 'b'], '')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => buildReferenceProfile([[1, 0]], ['a', 'b'], 'm', { buckets: { margin: [0.5, 0.2] } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});

describe('parseReferenceProfile', () => {
  const malformed: Array<[string, (p: Record<string, unknown>) => unknown]> = [
    ['not JSON', () => '{'],
    ['wrong format', (p) => ({ ...p, format: 'other' })],
    ['unsupported version', (p) => ({ ...p, version: 2 })],
    ['missing model id', (p) => ({ ...p, model: { labels } })],
    ['count length off by one', (p) => ({ ...p, counts: { ...(p.counts as object), confidence: [1, 2] } })],
    ['counts not summing to n', (p) => ({ ...p, n: 4 })],
    ['decreasing buckets', (p) => ({ ...p, buckets: { ...(p.buckets as object), entropy: [1, 0.5] } })],
    ['mean out of range', (p) => ({ ...p, mean_confidence: 1.5 })],
  ];
  it.each(malformed)('rejects %s with INVALID_INPUT', (_name, mutate) => {
    const broken = mutate(JSON.parse(JSON.stringify(sample())));
    expect(() => parseReferenceProfile(broken)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('checks the expected model and labels with INVALID_OPTION', () => {
    const p = sample();
    expect(parseReferenceProfile(p, { modelId: 'sha256:abc', labels })).toEqual(p);
    expect(() => parseReferenceProfile(p, { modelId: 'sha256:def' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => parseReferenceProfile(p, { labels: [...labels].reverse() })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});
