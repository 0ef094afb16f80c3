/**
 * Texts of a fixed token length, cut from real texts: the dev split's texts joined until long
 * enough, then cut after the token that makes the length. Re-tokenizing a cut text can merge or
 * split at the cut, so the lengths are checked and reported, not assumed.
 */
import type { Encoding } from '@glassbox/core';

/**
 * The prefix of `encoding.text` that holds its first `tokens - 2` non-special tokens (so that
 * with `<s>` and `</s>` it is `tokens` long), or null when the text is too short.
 */
export function cutAtTokens(encoding: Pick<Encoding, 'text' | 'offsets' | 'special'>, tokens: number): string | null {
  const content: number[] = [];
  encoding.special.forEach((special, i) => {
    if (!special) content.push(i);
  });
  const want = tokens - 2;
  if (want < 1 || content.length < want) return null;
  return encoding.text.slice(0, encoding.offsets[content[want - 1]][1]);
}

/**
 * `count` long texts from `pool`: text i joins pool[i], pool[i+1], ... (cycling) until it has
 * at least `minChars` characters, so each starts at a different real text.
 */
export function joinedTexts(pool: readonly string[], count: number, minChars: number): string[] {
  if (pool.length === 0) throw new Error('joinedTexts needs a non-empty pool');
  return Array.from({ length: count }, (_, i) => {
    let text = '';
    for (let j = i; text.length < minChars; j++) text += (text ? ' ' : '') + pool[j % pool.length];
    return text;
  });
}
