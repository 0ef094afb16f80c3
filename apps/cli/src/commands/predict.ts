import { createPipeline, GlassboxError, predictionView, topK, type AbstentionRule, type PipelineResult, type PredictionView } from '@glassbox/core';
import { abstentionRule, lacSet, loadCalibration, type CalibrationPlugins, type LoadedCalibration } from './calibration-io.js';
import { openEngine, type EngineFlags } from './shared.js';

export interface PredictFlags extends EngineFlags {
  topK?: number;
  json?: boolean;
  calibration?: string;
  abstain?: string;
}

/** A `predict --json` row: the text and the API's prediction view (one builder, @glassbox/core), with the conformal alpha. */
export type PredictOutput = { text: string } & PredictionView & { conformal_alpha?: number };

/**
 * Classifies texts. With --calibration the probabilities are calibrated (the raw ones are kept
 * under `raw`) and, where the file has one, the conformal set is added; --abstain sets the
 * abstention decision and its reason (abstained is false without it). The --json rows have the
 * shape of /v1/predict's predictions, plus the text. `plugins`: where the calibration's method and
 * the --abstain rule are looked up (default: the built-ins).
 */
export async function predictCommand(texts: string[], flags: PredictFlags, out: NodeJS.WritableStream, plugins: CalibrationPlugins = {}, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  if (texts.length === 0) throw new GlassboxError('INVALID_INPUT', 'no text given: glassbox predict "some text" ...');
  texts.forEach((t, i) => {
    if (t.trim() === '') throw new GlassboxError('INVALID_INPUT', `text ${i + 1} is empty`);
  });
  const engine = await openEngine(flags);
  try {
    const loaded: LoadedCalibration | null = flags.calibration ? await loadCalibration(flags.calibration, engine, plugins, err) : null;
    const rules: AbstentionRule[] = flags.abstain ? [abstentionRule(flags.abstain, loaded?.file ?? null, plugins)] : [];
    const pipeline = createPipeline({ engine, calibrator: loaded?.calibrator, abstention: rules });
    const results = await pipeline.run(texts);
    const rows = results.map((r) => toOutput(r, flags, loaded));
    if (flags.json) {
      out.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const k = flags.topK ?? 3;
    for (const r of rows) {
      const decision = r.abstained ? `  ABSTAIN (${r.abstention_reason})` : '';
      out.write(`${r.label}\t${r.score.toFixed(3)}\t${r.text}${decision}\n`);
      for (const { label, score } of topK(r.probabilities, k)) {
        out.write(`  ${label.padEnd(10)} ${score.toFixed(4)} ${'█'.repeat(Math.round(score * 30))}\n`);
      }
      if (r.truncated) out.write(`  truncated: first ${engine.maxLength} of ${r.tokens} tokens used (--long-text chunk reads the whole text)\n`);
      if (r.conformal_set) out.write(`  conformal set (alpha ${r.conformal_alpha}): {${r.conformal_set.join(', ')}}\n`);
    }
  } finally {
    await engine.dispose();
  }
}

function toOutput(r: PipelineResult, flags: PredictFlags, loaded: LoadedCalibration | null): PredictOutput {
  const conformal = loaded?.file.conformal;
  const view = predictionView(r, {
    raw: loaded !== null,
    topK: flags.topK,
    conformalSet: conformal && ((p) => lacSet(p, conformal.qhat)),
  });
  return { text: r.text, ...view, ...(conformal && { conformal_alpha: conformal.alpha }) };
}
