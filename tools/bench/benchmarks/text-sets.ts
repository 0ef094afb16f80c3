/** The text sets every model is timed on: the dev split at real lengths and fixed token lengths. */
import type { InferenceEngine } from '@glassbox/core';
import { cutAtTokens, joinedTexts } from '../token-sets.js';

export interface TextSet {
  /** 'dev', or the token length ('32', '64', ...). */
  name: string;
  texts: string[];
  /** Mean tokens per text as the model's tokenizer counts them (special tokens included, before truncation). */
  meanTokens: number;
}

/** Fixed lengths, and how many texts of each (full run, quick run). */
export const FIXED_LENGTHS: ReadonlyArray<{ tokens: number; full: number; quick: number }> = [
  { tokens: 32, full: 128, quick: 16 },
  { tokens: 64, full: 128, quick: 32 },
  { tokens: 128, full: 64, quick: 8 },
  { tokens: 512, full: 16, quick: 2 },
];

async function meanTokens(engine: InferenceEngine, texts: readonly string[]): Promise<number> {
  const encodings = await engine.encode(texts);
  return encodings.reduce((s, e) => s + e.ids.length, 0) / Math.max(1, encodings.length);
}

/** Texts of exactly (or, where a cut re-tokenizes differently, about) `tokens` tokens. */
export async function fixedLengthTexts(engine: InferenceEngine, pool: readonly string[], tokens: number, count: number): Promise<string[]> {
  const long = joinedTexts(pool, count, tokens * 8);
  const encodings = await engine.encode(long);
  return encodings.map((e, i) => {
    const cut = cutAtTokens(e, tokens);
    if (cut === null) throw new Error(`text ${i} of the ${tokens}-token set is too short (${e.ids.length} tokens)`);
    return cut;
  });
}

/** The dev texts (the first `devCount`) and every fixed length the model takes. */
export async function textSets(engine: InferenceEngine, pool: readonly string[], devCount: number, quick: boolean): Promise<TextSet[]> {
  const dev = pool.slice(0, devCount);
  const sets: TextSet[] = [{ name: 'dev', texts: dev, meanTokens: await meanTokens(engine, dev) }];
  for (const f of FIXED_LENGTHS) {
    if (f.tokens > engine.maxLength) continue;
    const texts = await fixedLengthTexts(engine, pool, f.tokens, quick ? f.quick : f.full);
    sets.push({ name: String(f.tokens), texts, meanTokens: await meanTokens(engine, texts) });
  }
  return sets;
}
