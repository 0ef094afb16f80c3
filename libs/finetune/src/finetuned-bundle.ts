import { copyFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeBytesAtomic } from '@glassbox/core';

/** Tokenizer files a Hugging Face bundle may carry beside tokenizer.json; copied as they are. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'added_tokens.json'];

/** The base config.json with the new label set (id2label, label2id) and the bundle's name. */
export function finetunedConfig(base: Record<string, unknown>, labels: readonly string[], name: string, baseName: string): Record<string, unknown> {
  const { _num_labels: _n, id2label: _i, label2id: _l, ...rest } = base;
  return {
    ...rest,
    name_or_path: name,
    finetuned_from: baseName,
    problem_type: 'single_label_classification',
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  };
}

/** Writes model.onnx, config.json and the tokenizer files of a fine-tuned bundle into `outDir`. */
export async function writeFinetunedBundle(options: {
  baseDir: string;
  baseConfigPath: string;
  outDir: string;
  model: Uint8Array;
  labels: readonly string[];
  name: string;
  baseName: string;
}): Promise<void> {
  const base = JSON.parse(await readFile(options.baseConfigPath, 'utf8')) as Record<string, unknown>;
  for (const file of TOKENIZER_FILES) {
    const from = join(options.baseDir, file);
    if (existsSync(from)) await copyFile(from, join(options.outDir, file));
  }
  const config = `${JSON.stringify(finetunedConfig(base, options.labels, options.name, options.baseName), null, 2)}\n`;
  await writeBytesAtomic(join(options.outDir, 'config.json'), new TextEncoder().encode(config), 'config.json');
  await writeBytesAtomic(join(options.outDir, 'model.onnx'), options.model);
}
