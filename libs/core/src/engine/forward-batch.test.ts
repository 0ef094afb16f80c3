import { describe, expect, it } from 'vitest';
import { lengthBuckets, padBatch } from './forward-batch.js';
import { splitIntoWindows } from './inference-engine.js';

describe('padBatch', () => {
  it('right-pads with the pad id and masks the padding', () => {
    const b = padBatch([[0, 7, 2], [0, 2]], 1);
    expect(b.batchSize).toBe(2);
    expect(b.seqLen).toBe(3);
    expect(Array.from(b.inputIds, Number)).toEqual([0, 7, 2, 0, 2, 1]);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 0]);
  });
});

describe('lengthBuckets', () => {
  it('sorts by length and respects batch size and the padded-token budget', () => {
    const lengths = [10, 3, 50, 4, 11, 5];
    const batches = lengthBuckets(lengths, 2, 60);
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(2);
      expect(b.length * Math.max(...b.map((i) => lengths[i]))).toBeLessThanOrEqual(60);
    }
    expect(batches[0]).toEqual([1, 3]);
    // 50 tokens: alone, as 2 x 50 exceeds 60
    expect(batches.at(-1)).toEqual([2]);
  });

  it('puts a sequence longer than the budget in a batch of its own', () => {
    expect(lengthBuckets([100, 2], 8, 50)).toEqual([[1], [0]]);
  });
});

describe('splitIntoWindows', () => {
  const ids = [0, 10, 11, 12, 13, 14, 15, 16, 2]; // <s> + 7 tokens + </s>

  it('keeps a text that fits', () => {
    expect(splitIntoWindows(ids, { maxLength: 9, longText: 'truncate', chunkOverlap: 0 }, 2)).toEqual([ids]);
  });

  it('truncates to maxLength keeping </s>', () => {
    expect(splitIntoWindows(ids, { maxLength: 5, longText: 'truncate', chunkOverlap: 0 }, 2)).toEqual([[0, 10, 11, 12, 2]]);
  });

  it('chunks into overlapping windows that cover every token', () => {
    const w = splitIntoWindows(ids, { maxLength: 5, longText: 'chunk', chunkOverlap: 1 }, 2);
    expect(w).toEqual([
      [0, 10, 11, 12, 2],
      [0, 12, 13, 14, 2],
      [0, 14, 15, 16, 2],
    ]);
  });
});
