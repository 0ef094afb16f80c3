import { describe, expect, it } from 'vitest';
import { createReasonClassifier } from './abstention-reason.js';

describe('createReasonClassifier', () => {
  it('keeps rule names and known prefixes, drops free text', () => {
    const classify = createReasonClassifier(['max-probability']);
    expect(classify('max-probability: 0.41 < 0.55')).toBe('max-probability');
    expect(classify('entropy-threshold')).toBe('entropy-threshold');
    expect(classify('max probability 0.41 < 0.55')).toBe('other');
    expect(classify('I am a user text')).toBe('other');
    expect(classify(null)).toBe('unknown');
  });

  it('caps the distinct names it passes through', () => {
    const classify = createReasonClassifier([], 2);
    expect(classify('rule-a')).toBe('rule-a');
    expect(classify('rule-b')).toBe('rule-b');
    expect(classify('rule-c')).toBe('other');
    expect(classify('rule-a')).toBe('rule-a');
  });
});
