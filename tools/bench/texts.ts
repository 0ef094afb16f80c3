/**
 * The texts the benchmarks classify: the first texts of the GoEmotions dev split when
 * ../shared/data is present (read at run time, never copied), otherwise seeded synthetic texts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '@glassbox/core';
import type { BenchTexts } from './bench-types.js';

/** Where the dev split lies, relative to the repository root. */
export const DEV_SPLIT = '../shared/data/goemotions-ekman/dev.tsv';

/** `count` texts from the dev split when it exists, else synthetic ones. */
export function loadBenchTexts(repoRoot: string, count: number): BenchTexts {
  const path = join(repoRoot, DEV_SPLIT);
  if (existsSync(path)) {
    const texts = readTsvTexts(readFileSync(path, 'utf8'), count);
    if (texts.length >= count) {
      return { texts, source: `GoEmotions dev split (\`${DEV_SPLIT}\`), its first ${count} texts, read at run time` };
    }
  }
  return {
    texts: syntheticTexts(count, 20260101),
    source: `${count} synthetic texts (seeded combinations of subjects, verbs and phrases; \`${DEV_SPLIT}\` was absent)`,
  };
}

/** The first `count` non-empty texts of a headerless `text<TAB>labels<TAB>id` file. */
export function readTsvTexts(tsv: string, count: number): string[] {
  const texts: string[] = [];
  for (const line of tsv.split('\n')) {
    if (texts.length >= count) break;
    const text = line.split('\t')[0] ?? '';
    if (text.trim() !== '') texts.push(text);
  }
  return texts;
}

const SUBJECTS = ['I', 'My brother', 'The new manager', 'Everyone at the party', 'She', 'Our neighbours', 'This game', 'The doctor'];
const VERBS = ['loves', 'cannot stand', 'is terrified of', 'laughed at', 'was shocked by', 'feels sad about', 'keeps talking about', 'ignored'];
const OBJECTS = ['the ending', 'what happened yesterday', 'the long wait', 'that stupid rule', 'the surprise gift', 'the empty house', 'this thread'];
const TAILS = ['!', '.', '?!', ', honestly.', ' and nobody cares.', ', which made my day.', ' again and again.', ' lol'];

/**
 * Deterministic texts from a seed: one to four clauses each, so lengths vary roughly like short
 * social-media comments (about 8 to 50 tokens).
 */
export function syntheticTexts(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  return Array.from({ length: count }, () => {
    const clauses = 1 + Math.floor(random() * 4);
    return Array.from({ length: clauses }, () => `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}${pick(TAILS)}`).join(' ');
  });
}
