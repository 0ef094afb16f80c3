#!/usr/bin/env node
// Step 1 of `npm run bench:model`: learns byte-level BPE merges from the GoEmotions train split
// with Hugging Face's `tokenizers` (read where it lies, never copied), and writes a RoBERTa-layout
// tokenizer.json of exactly --vocab-size tokens (<s>=0 <pad>=1 </s>=2 <unk>=3, <mask> last),
// plus tokenizer_config.json. Without the data set, merges are learned from seeded synthetic text.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BPE, Tokenizer, byteLevelAlphabet, byteLevelPreTokenizer } from 'tokenizers';
import { assembleVocab, robertaTokenizerConfig, robertaTokenizerJson } from './roberta-tokenizer.mjs';

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/goemotions-ekman' },
    out: { type: 'string', default: 'models/bench-distilroberta' },
    'vocab-size': { type: 'string', default: '50265' },
    'max-length': { type: 'string', default: '512' },
  },
});
const size = Number(opts['vocab-size']);

/** Lines to learn merges from: the train split's texts, or a seeded word soup when it is absent. */
function corpusLines() {
  const file = path.join(opts.data, 'train.tsv');
  if (fs.existsSync(file)) {
    return { lines: fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[0]), source: file };
  }
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const words = Array.from({ length: 4000 }, () => Array.from({ length: 2 + Math.floor(next() * 8) }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join(''));
  const lines = Array.from({ length: 40000 }, () => Array.from({ length: 5 + Math.floor(next() * 20) }, () => words[Math.floor(next() ** 2 * words.length)]).join(' '));
  return { lines, source: 'seeded synthetic text (the train split was absent)' };
}

const started = Date.now();
const { lines, source } = corpusLines();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-bench-bpe-'));
let raw;
try {
  const corpus = path.join(scratch, 'corpus.txt');
  fs.writeFileSync(corpus, lines.join('\n'));
  const learner = new Tokenizer(BPE.empty());
  learner.setPreTokenizer(byteLevelPreTokenizer(false, true));
  learner.train([corpus]);
  learner.save(path.join(scratch, 'bpe.json'), false);
  raw = JSON.parse(fs.readFileSync(path.join(scratch, 'bpe.json'), 'utf8')).model;
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

const { vocab, merges } = assembleVocab({ alphabet: byteLevelAlphabet(), merges: raw.merges, size, maskLast: true, pad: true });
fs.mkdirSync(opts.out, { recursive: true });
const tokPath = path.join(opts.out, 'tokenizer.json');
fs.writeFileSync(tokPath, JSON.stringify(robertaTokenizerJson(vocab, merges)));
fs.writeFileSync(path.join(opts.out, 'tokenizer_config.json'), `${JSON.stringify(robertaTokenizerConfig(Number(opts['max-length'])), null, 2)}\n`);
const check = Tokenizer.fromFile(tokPath);
console.error(
  `build-tokenizer: ${check.getVocabSize(true)} tokens (${merges.length} merges learned from ${lines.length} lines of ${source}, ` +
    `the rest filler) in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${tokPath}`,
);
