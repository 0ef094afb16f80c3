import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tokenizer, byteLevelAlphabet } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { assembleVocab, robertaTokenizerJson } from './roberta-tokenizer.mjs';

const alphabet = byteLevelAlphabet();

describe('assembleVocab', () => {
  it('puts the specials at 0..3, <mask> last, and pads to exactly the asked size', () => {
    const { vocab, merges } = assembleVocab({ alphabet, merges: ['h e', 'he l', 'x y'], size: 300, maskLast: true, pad: true });
    const ids = Object.values(vocab).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect([vocab['<s>'], vocab['<pad>'], vocab['</s>'], vocab['<unk>'], vocab['<mask>']]).toEqual([0, 1, 2, 3, 299]);
    expect(merges).toEqual([['h', 'e'], ['he', 'l'], ['x', 'y']]);
    expect(vocab['hel']).toBe(4 + alphabet.length + 1);
    expect(vocab['madeupword0000']).toBe(4 + alphabet.length + 3);
  });

  it('keeps only merges whose parts exist and whose result is new, stopping at the size', () => {
    const { merges } = assembleVocab({ alphabet, merges: ['q z', 'ab c', 'q z', 'a b', 'ab c'], size: 5 + alphabet.length + 2 });
    expect(merges).toEqual([['q', 'z'], ['a', 'b']]);
  });

  it('refuses a size below the specials and the byte alphabet', () => {
    expect(() => assembleVocab({ alphabet, merges: [], size: 100, maskLast: true })).toThrow(/smaller than/);
  });
});

describe('robertaTokenizerJson', () => {
  it("rebuilds emotion-mini's tokenizer.json byte for byte from its own merges (<mask> at 4)", () => {
    const path = fileURLToPath(new URL('../../models/emotion-mini/tokenizer.json', import.meta.url));
    const shipped = JSON.parse(readFileSync(path, 'utf8'));
    const { vocab, merges } = assembleVocab({ alphabet, merges: shipped.model.merges, size: Object.keys(shipped.model.vocab).length });
    expect(JSON.stringify(robertaTokenizerJson(vocab, merges))).toBe(JSON.stringify(shipped));
  });

  it('loads in Hugging Face tokenizers and encodes <s> text </s> with the mask last', async () => {
    const { vocab, merges } = assembleVocab({ alphabet, merges: ['Ġ h', 'Ġh i'], size: 400, maskLast: true, pad: true });
    const tokenizer = Tokenizer.fromString(JSON.stringify(robertaTokenizerJson(vocab, merges)));
    const encoding = await tokenizer.encode('a hi <mask>');
    // <mask> strips the space before it (lstrip), as RoBERTa's does
    expect(encoding.getTokens()).toEqual(['<s>', 'a', 'Ġhi', ' <mask>', '</s>']);
    expect(encoding.getIds()).toEqual([0, vocab['a'], vocab['Ġhi'], 399, 2]);
  });
});
