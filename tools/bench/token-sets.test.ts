import { describe, expect, it } from 'vitest';
import { cutAtTokens, joinedTexts } from './token-sets.js';

const encoding = {
  text: 'I am so happy',
  // <s> I Ġam Ġso Ġhappy </s>
  offsets: [[0, 0], [0, 1], [1, 4], [4, 7], [7, 13], [0, 0]] as [number, number][],
  special: [true, false, false, false, false, true],
};

describe('cutAtTokens', () => {
  it('keeps the text up to the end of the (tokens - 2)th content token', () => {
    expect(cutAtTokens(encoding, 4)).toBe('I am');
    expect(cutAtTokens(encoding, 6)).toBe('I am so happy');
  });

  it('gives null when the text has too few tokens or no room for content', () => {
    expect(cutAtTokens(encoding, 7)).toBeNull();
    expect(cutAtTokens(encoding, 2)).toBeNull();
  });
});

describe('joinedTexts', () => {
  it('starts text i at pool[i] and joins, cycling, until long enough', () => {
    expect(joinedTexts(['ab', 'cd', 'ef'], 3, 5)).toEqual(['ab cd', 'cd ef', 'ef ab']);
  });
});
