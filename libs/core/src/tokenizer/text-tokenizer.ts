import { readFileSync } from 'node:fs';
import { Tokenizer } from 'tokenizers';
import { GlassboxError } from '../errors.js';

/** One token of an encoded text, with its span in the original string (UTF-16 indices). */
export interface TokenSpan {
  text: string;
  start: number;
  end: number;
}

/** A text encoded for the model: ids and, per token, its span and whether it is special. */
export interface Encoding {
  ids: number[];
  tokens: string[];
  /** [start, end) in UTF-16 code units of `text`; [0, 0] for special tokens. */
  offsets: Array<[number, number]>;
  special: boolean[];
  /** The text that was tokenized (for pre-tokenized input: the words joined by single spaces). */
  text: string;
}

export interface TextTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly maskId: number | null;
  /** Encodes texts with special tokens (`<s> ... </s>`), without truncation. */
  encode(texts: readonly string[]): Promise<Encoding[]>;
  tokenToId(token: string): number | null;
}

export interface SpecialTokenNames {
  bos?: string;
  eos?: string;
  pad?: string;
  mask?: string;
}

/**
 * Reads a Hugging Face `tokenizer.json` with the `tokenizers` package (Hugging Face's Rust
 * tokenizer), so tokenization matches the Python side exactly.
 */
export function createTextTokenizer(path: string, names: SpecialTokenNames = {}): TextTokenizer {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GlassboxError('BUNDLE_FILE_MISSING', `tokenizer.json not found at ${path}`, { cause });
  }
  let tokenizer: Tokenizer;
  try {
    JSON.parse(raw);
    tokenizer = Tokenizer.fromString(raw);
  } catch (cause) {
    throw new GlassboxError(
      'BUNDLE_FILE_INVALID',
      `${path} is not a Hugging Face tokenizer.json (${(cause as Error).message})`,
      { cause },
    );
  }
  const id = (token: string | undefined, fallback: string): number | null =>
    tokenizer.tokenToId(token ?? fallback) ?? null;
  const bosId = id(names.bos, '<s>');
  const eosId = id(names.eos, '</s>');
  const padId = id(names.pad, '<pad>');
  if (bosId === null || eosId === null || padId === null) {
    throw new GlassboxError(
      'BUNDLE_FILE_INVALID',
      `${path} lacks the special tokens <s>, </s> and <pad> that a RoBERTa-style classifier needs`,
    );
  }
  const specialIds = new Set<number>([bosId, eosId, padId]);
  const maskId = id(names.mask, '<mask>');
  if (maskId !== null) specialIds.add(maskId);

  return {
    vocabSize: tokenizer.getVocabSize(true),
    padId,
    bosId,
    eosId,
    maskId,
    tokenToId: (token) => tokenizer.tokenToId(token) ?? null,
    async encode(texts) {
      if (texts.length === 0) return [];
      const encodings = await tokenizer.encodeBatch([...texts]);
      return encodings.map((e, i) => {
        const text = texts[i];
        const ids = e.getIds();
        const special = e.getSpecialTokensMask().map((m, j) => m === 1 || specialIds.has(ids[j]));
        return {
          ids,
          tokens: e.getTokens(),
          offsets: toUtf16Offsets(text, e.getOffsets()),
          special,
          text,
        };
      });
    },
  };
}

/**
 * The Rust tokenizer reports offsets in Unicode code points; JavaScript strings index UTF-16
 * code units. Converts when the text holds characters outside the BMP (emoji, for example).
 */
export function toUtf16Offsets(text: string, offsets: number[][]): Array<[number, number]> {
  let astral = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      astral = true;
      break;
    }
  }
  if (!astral) return offsets.map(([s, e]) => [s, e]);
  const map: number[] = [];
  let unit = 0;
  for (const ch of text) {
    map.push(unit);
    unit += ch.length;
  }
  map.push(unit);
  return offsets.map(([s, e]) => [map[s] ?? unit, map[e] ?? unit]);
}
