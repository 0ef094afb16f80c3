/**
 * `glassbox quantize IN_DIR OUT_DIR`: writes a quantized-only bundle. The fp32 graph of IN_DIR
 * is quantized (onnx/quantize-graph.ts) into OUT_DIR at the path the bundle loader reads the
 * quantized variant from in the same layout (`model_quantized.onnx`, or
 * `onnx/model_quantized.onnx`), and the tokenizer and config files are copied beside it.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GlassboxError } from '../errors.js';
import { writeBytesAtomic } from '../onnx/onnx-graph.js';
import { quantizeModel, type QuantizedMatrix, type QuantizeModelOptions, type QuantizeOperator } from '../onnx/quantize-graph.js';
import { bundleGraphs, graphPath, loadModelBundle } from './model-bundle.js';

/** Files a bundle's tokenizer and config may need, copied when present (never calibrations or profiles: those are tied to the fp32 graph's hash). */
export const BUNDLE_SIDE_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'vocab.txt',
  'sentencepiece.bpe.model',
] as const;

export interface QuantizeBundleResult {
  input: { path: string; bytes: number };
  output: { path: string; bytes: number };
  /** output bytes / input bytes. */
  ratio: number;
  operator: QuantizeOperator;
  matrices: QuantizedMatrix[];
  skipped: Array<{ node: string; reason: string }>;
  /** Weights now stored as int8. */
  parameters: number;
  /** Side files copied into OUT_DIR (names relative to it). */
  copied: string[];
}

/**
 * Quantizes the fp32 graph of the bundle in `inDir` into a new bundle in `outDir` (created if
 * missing). Refuses: a missing directory (BUNDLE_NOT_FOUND), no graph (BUNDLE_FILE_MISSING), a
 * bundle that is only quantized (MODEL_ALREADY_QUANTIZED), `outDir` equal to `inDir`, a file, or
 * holding an fp32 graph (QUANTIZE_OUTPUT_INVALID).
 */
export async function quantizeBundle(inDir: string, outDir: string, options: QuantizeModelOptions = {}): Promise<QuantizeBundleResult> {
  const bundle = loadModelBundle(inDir);
  if (bundle.variant !== 'fp32') {
    throw new GlassboxError(
      'MODEL_ALREADY_QUANTIZED',
      `${bundle.dir} holds only a quantized graph (${bundle.modelPath}); glassbox quantize needs the fp32 export (model.onnx)`,
    );
  }
  const out = resolve(outDir);
  assertOutputDir(bundle.dir, out);
  const bytes = await readFile(bundle.modelPath);
  let quantized: ReturnType<typeof quantizeModel>;
  try {
    quantized = quantizeModel(bytes, options);
  } catch (e) {
    if (e instanceof GlassboxError) throw new GlassboxError(e.code, `${bundle.modelPath}: ${e.message}`, { cause: e.cause, details: e.details });
    throw e;
  }
  const target = join(out, graphPath('quantized', bundle.layout));
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (cause) {
    throw new GlassboxError('OUTPUT_FILE', `cannot create ${dirname(target)}: ${(cause as Error).message}`, { cause });
  }
  const copied: string[] = [];
  for (const name of BUNDLE_SIDE_FILES) {
    const from = join(bundle.dir, name);
    if (!existsSync(from)) continue;
    try {
      await copyFile(from, join(out, name));
    } catch (cause) {
      throw new GlassboxError('OUTPUT_FILE', `cannot copy ${name} to ${out}: ${(cause as Error).message}`, { cause });
    }
    copied.push(name);
  }
  await writeBytesAtomic(target, quantized.bytes, 'the quantized model');
  return {
    input: { path: bundle.modelPath, bytes: bytes.length },
    output: { path: target, bytes: quantized.bytes.length },
    ratio: quantized.bytes.length / bytes.length,
    operator: quantized.operator,
    matrices: quantized.matrices,
    skipped: quantized.skipped,
    parameters: quantized.parameters,
    copied,
  };
}

function assertOutputDir(inDir: string, out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) {
    throw new GlassboxError('QUANTIZE_OUTPUT_INVALID', `OUT_DIR ${out} is a file; pass a directory (it is created if missing)`);
  }
  if (realpathSync(out) === realpathSync(inDir)) {
    throw new GlassboxError('QUANTIZE_OUTPUT_INVALID', `OUT_DIR is the input directory ${inDir}; write the quantized bundle to another directory`);
  }
  const fp32 = bundleGraphs(out).filter((g) => g.variant === 'fp32');
  if (fp32.length > 0) {
    throw new GlassboxError(
      'QUANTIZE_OUTPUT_INVALID',
      `OUT_DIR ${out} already holds an fp32 graph (${fp32.map((g) => g.path).join(', ')}), which would load before the quantized one; pass an empty or new directory`,
    );
  }
}
