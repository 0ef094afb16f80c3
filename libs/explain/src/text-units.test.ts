import { describe, expect, it } from 'vitest';
import type { Encoding } from '@glassbox/core';
import { aggregateScores, tokenUnits, wordUnits } from './text-units.js';

// "I can't 🙂!" as a byte-level BPE would split it, offsets in UTF-16 units
const text = "I can't 🙂!";
const enc: Encoding = {
  text,
  ids: [0, 10, 11, 12, 13, 14, 15, 2],
  tokens: ['<s>', 'I', 'Ġcan', "'t", 'ĠðŁĻ', 'Ĥ', '!', '</s>'],
  offsets: [[0, 0], [0, 1], [2, 5], [5, 7], [8, 10], [8, 10], [10, 11], [0, 0]],
  special: [true, false, false, false, false, false, false, true],
};

describe('text units', () => {
  it('lists non-special tokens with their spans, merging tokens of one character', () => {
    const units = tokenUnits(enc);
    expect(units.map((u) => u.text)).toEqual(['I', 'can', "'t", '🙂', '!']);
    expect(units[3].positions).toEqual([4, 5]);
  });

  it('groups subwords into words by offsets', () => {
    const words = wordUnits(enc);
    expect(words.map((w) => w.text)).toEqual(['I', "can't", '🙂!']);
    expect(words.map((w) => [w.start, w.end])).toEqual([[0, 1], [2, 7], [8, 11]]);
    expect(aggregateScores(new Map([[1, 0.5], [2, 0.25], [3, 0.25], [4, 0.1], [5, 0.1], [6, 0.2]]), words)).toEqual([0.5, 0.5, 0.4]);
  });
});
