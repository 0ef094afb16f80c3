import { createInferenceEngine, quantizeBundle, type QuantizeBundleResult, type QuantizeOperator } from '@glassbox/core';

/** Texts the quantized model is compared on when none are given: short and long, each label's flavour. */
export const QUANTIZE_CHECK_TEXTS = [
  'I am so happy for you, this is wonderful news!',
  'This is absolutely disgusting, I cannot believe anyone would eat that.',
  'Why would you do that? I am furious with you right now.',
  'I miss her every single day since she left.',
  'Wait, what? I had no idea that was even possible.',
  'I am scared of what happens if the results come back bad.',
  'The meeting is at three in the conference room on the second floor.',
  'Thanks for the help yesterday. The car broke down again this morning, so I will be late, but honestly I am just glad nobody got hurt and the kids thought the tow truck was the best thing they had ever seen.',
];

export interface QuantizeFlags {
  json?: boolean;
  operator?: QuantizeOperator;
  /** false (--no-embeddings): keep embedding tables in float. */
  embeddings?: boolean;
  /** false (--no-check): skip the fp32 comparison. */
  check?: boolean;
  /** Texts to compare on (default QUANTIZE_CHECK_TEXTS). */
  checkText?: string[];
}

export interface QuantizeCheck {
  texts: number;
  /** Largest |logit(int8) - logit(fp32)| over the texts and labels. */
  max_abs_logit_difference: number;
  /** Texts whose predicted label is the same. */
  same_label: number;
}

export interface QuantizeOutput {
  input: { path: string; bytes: number };
  output: { path: string; bytes: number };
  ratio: number;
  operator: QuantizeOperator;
  /** MatMul/Gemm weights quantized per output channel. */
  quantized_matrices: number;
  /** Embedding tables quantized per row. */
  quantized_embeddings: number;
  quantized_parameters: number;
  skipped: QuantizeBundleResult['skipped'];
  max_weight_error: number;
  copied: string[];
  check: QuantizeCheck | null;
}

/** Runs `texts` through the fp32 bundle and the quantized one and compares their logits. */
export async function compareLogits(fp32Dir: string, quantizedDir: string, texts: readonly string[]): Promise<QuantizeCheck> {
  const fp32 = await createInferenceEngine(fp32Dir, { variant: 'fp32' });
  try {
    const int8 = await createInferenceEngine(quantizedDir, { variant: 'quantized' });
    try {
      const [a, b] = [await fp32.classify([...texts]), await int8.classify([...texts])];
      let max = 0;
      a.forEach((p, i) => p.logits.forEach((l, j) => (max = Math.max(max, Math.abs(l - b[i].logits[j])))));
      return { texts: texts.length, max_abs_logit_difference: max, same_label: a.filter((p, i) => p.labelId === b[i].labelId).length };
    } finally {
      await int8.dispose();
    }
  } finally {
    await fp32.dispose();
  }
}

/** `glassbox quantize IN_DIR OUT_DIR`: a quantized-only bundle, its size change and how far its logits are from fp32. */
export async function quantizeCommand(inDir: string, outDir: string, flags: QuantizeFlags, out: NodeJS.WritableStream): Promise<QuantizeOutput> {
  const result = await quantizeBundle(inDir, outDir, {
    ...(flags.operator ? { operator: flags.operator } : {}),
    ...(flags.embeddings === false ? { embeddings: false } : {}),
  });
  const texts = flags.checkText?.length ? flags.checkText : QUANTIZE_CHECK_TEXTS;
  const check = flags.check === false ? null : await compareLogits(inDir, outDir, texts);
  const report: QuantizeOutput = {
    input: result.input,
    output: result.output,
    ratio: result.ratio,
    operator: result.operator,
    quantized_matrices: result.matrices.filter((m) => m.kind === 'matmul').length,
    quantized_embeddings: result.matrices.filter((m) => m.kind === 'embedding').length,
    quantized_parameters: result.parameters,
    skipped: result.skipped,
    max_weight_error: Math.max(...result.matrices.map((m) => m.maxWeightError)),
    copied: result.copied,
    check,
  };
  if (flags.json) {
    out.write(`${JSON.stringify(report, null, 2)}\n`);
    return report;
  }
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  out.write(
    `quantized ${report.quantized_matrices} weight matrices (int8, symmetric, per output channel; ${report.operator}) and ${report.quantized_embeddings} embedding tables (int8 per row): ` +
      `${report.quantized_parameters.toLocaleString('en-US')} weights${report.skipped.length ? `; ${report.skipped.length} MatMul/Gemm/Gather left in float` : ''}\n`,
  );
  out.write(`${report.input.path} ${report.input.bytes} bytes (${mb(report.input.bytes)}) -> ${report.output.path} ${report.output.bytes} bytes (${mb(report.output.bytes)}), ratio ${report.ratio.toFixed(3)}\n`);
  out.write(`copied ${report.copied.join(', ') || 'nothing'}\n`);
  if (check) {
    out.write(`max |logit difference| against fp32 on ${check.texts} texts: ${check.max_abs_logit_difference.toFixed(4)}; same label on ${check.same_label}/${check.texts}\n`);
  }
  return report;
}
