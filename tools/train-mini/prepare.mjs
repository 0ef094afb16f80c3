#!/usr/bin/env node
// Step 1 of the emotion-mini training tool: trains a byte-level BPE tokenizer on the
// GoEmotions train split with Hugging Face's `tokenizers` (the same Rust core as the Python
// library), writes it as a RoBERTa-style tokenizer.json, and encodes both splits for train.py.
//
// The encoded splits go to a work folder that git ignores: they are derived from the data
// set and must never be committed.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer, BPE, byteLevelPreTokenizer, byteLevelAlphabet } from 'tokenizers';
import { assembleVocab, robertaTokenizerJson } from '../make-bench-model/roberta-tokenizer.mjs';

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/goemotions-ekman' },
    out: { type: 'string', default: 'models/emotion-mini' },
    work: { type: 'string', default: 'tools/train-mini/.work' },
    'vocab-size': { type: 'string', default: '8192' },
    'max-length': { type: 'string', default: '128' },
  },
});
const vocabSize = Number(opts['vocab-size']);
const maxLength = Number(opts['max-length']);

function readSplit(name) {
  const file = path.join(opts.data, `${name}.tsv`);
  if (!fs.existsSync(file)) {
    console.error(`prepare: ${file} not found; pass --data DIR (the goemotions-ekman folder)`);
    process.exit(2);
  }
  const rows = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line) return;
    const [text, labels] = line.split('\t');
    rows.push({ line: i + 1, text, labels: labels.split(',').map(Number) });
  });
  return rows;
}

const train = readSplit('train');
const dev = readSplit('dev');
fs.mkdirSync(opts.work, { recursive: true });
fs.mkdirSync(opts.out, { recursive: true });

// 1. Learn merges with the library's BPE trainer (its default trainer learns up to 30k
//    tokens), then keep the first merges in rank order: a prefix of a BPE merge list is a
//    valid, smaller BPE model.
const corpus = path.join(opts.work, 'train-text.txt');
fs.writeFileSync(corpus, train.map((r) => r.text).join('\n'));
const learner = new Tokenizer(BPE.empty());
learner.setPreTokenizer(byteLevelPreTokenizer(false, true));
learner.train([corpus]);
const rawPath = path.join(opts.work, 'bpe-raw.json');
learner.save(rawPath, false);
const raw = JSON.parse(fs.readFileSync(rawPath, 'utf8')).model;

const { vocab, merges } = assembleVocab({ alphabet: byteLevelAlphabet(), merges: raw.merges, size: vocabSize });
const tokPath = path.join(opts.out, 'tokenizer.json');
fs.writeFileSync(tokPath, JSON.stringify(robertaTokenizerJson(vocab, merges)));
const tokenizer = Tokenizer.fromFile(tokPath);
console.error(`prepare: tokenizer.json with ${tokenizer.getVocabSize(true)} tokens (${merges.length} merges)`);

// 2. Encode both splits exactly as glassbox will at inference time: <s> text </s>,
//    truncated to maxLength tokens.
async function encode(rows, name) {
  const ids = [];
  const batch = 512;
  let truncated = 0;
  for (let i = 0; i < rows.length; i += batch) {
    const encs = await tokenizer.encodeBatch(rows.slice(i, i + batch).map((r) => r.text));
    for (const e of encs) {
      let x = e.getIds();
      if (x.length > maxLength) {
        x = [...x.slice(0, maxLength - 1), 2];
        truncated++;
      }
      ids.push(x);
    }
  }
  const out = { ids, labels: rows.map((r) => r.labels), line: rows.map((r) => r.line) };
  fs.writeFileSync(path.join(opts.work, `${name}.json`), JSON.stringify(out));
  const mean = ids.reduce((s, x) => s + x.length, 0) / ids.length;
  console.error(`prepare: ${name}: ${rows.length} rows, mean ${mean.toFixed(1)} tokens, ${truncated} truncated`);
}
await encode(train, 'train');
await encode(dev, 'dev');
fs.writeFileSync(
  path.join(opts.work, 'meta.json'),
  JSON.stringify({ vocab_size: tokenizer.getVocabSize(true), max_length: maxLength, pad_id: 1, mask_id: 4 }),
);
