import { describe, expect, it } from 'vitest';
import { toUtf16Offsets } from './text-tokenizer.js';

describe('toUtf16Offsets', () => {
  it('leaves BMP-only text unchanged', () => {
    expect(toUtf16Offsets('héllo', [[0, 1], [1, 5]])).toEqual([[0, 1], [1, 5]]);
  });

  it('maps code-point offsets past an emoji to UTF-16 indices', () => {
    const text = 'a 🙂 wörld';
    // code points: a=0 ' '=1 🙂=2 ' '=3 w=4 ... ; UTF-16: 🙂 spans 2..4, w at 5
    const [emoji, word] = toUtf16Offsets(text, [[2, 3], [4, 9]]);
    expect(text.slice(...emoji)).toBe('🙂');
    expect(text.slice(...word)).toBe('wörld');
  });
});
