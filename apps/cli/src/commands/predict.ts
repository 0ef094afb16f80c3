import { createPipeline, GlassboxError, type AbstentionRule, type PipelineResult, type Prediction } from '@glassbox/core';
import { abstentionRule, lacSet, loadCalibration, type LoadedCalibration } from './calibration-io.js';
import { openEngine, type EngineFlags } from './shared.js';

export interface PredictFlags extends EngineFlags {
  topK?: number;
  json?: boolean;
  calibration?: string;
  abstain?: string;
}

export interface PredictOutput {
  text: string;
  label: string;
  score: number;
  probabilities: Record<string, number>;
  top_k?: Array<{ label: string; score: number }>;
  raw?: { label: string; score: number; probabilities: Record<string, number> };
  abstained?: boolean;
  abstention_reason?: string | null;
  conformal_set?: string[];
  conformal_alpha?: number;
}

export function topK(p: Pick<Prediction, 'probabilities'>, k: number): Array<{ label: string; score: number }> {
  return Object.entries(p.probabilities)
    .map(([label, score]) => ({ label, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

/**
 * Classifies texts. With --calibration the probabilities are calibrated (the raw ones are kept
 * under `raw`) and, where the file has one, the conformal set is added; --abstain adds the
 * abstention decision and its reason.
 */
export async function predictCommand(texts: string[], flags: PredictFlags, out: NodeJS.WritableStream): Promise<void> {
  if (texts.length === 0) throw new GlassboxError('INVALID_INPUT', 'no text given: glassbox predict "some text" ...');
  texts.forEach((t, i) => {
    if (t.trim() === '') throw new GlassboxError('INVALID_INPUT', `text ${i + 1} is empty`);
  });
  const engine = await openEngine(flags);
  try {
    const loaded: LoadedCalibration | null = flags.calibration ? await loadCalibration(flags.calibration, engine) : null;
    const rules: AbstentionRule[] = flags.abstain ? [abstentionRule(flags.abstain, loaded?.file ?? null)] : [];
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
      for (const { label, score } of topK(r, k)) {
        out.write(`  ${label.padEnd(10)} ${score.toFixed(4)} ${'█'.repeat(Math.round(score * 30))}\n`);
      }
      if (r.conformal_set) out.write(`  conformal set (alpha ${r.conformal_alpha}): {${r.conformal_set.join(', ')}}\n`);
    }
  } finally {
    await engine.dispose();
  }
}

function toOutput(r: PipelineResult, flags: PredictFlags, loaded: LoadedCalibration | null): PredictOutput {
  const row: PredictOutput = { text: r.text, label: r.label, score: r.score, probabilities: r.probabilities };
  if (flags.topK) row.top_k = topK(r, flags.topK);
  if (loaded) row.raw = r.raw;
  if (flags.abstain) {
    row.abstained = r.abstained;
    row.abstention_reason = r.abstentionReason;
  }
  const conformal = loaded?.file.conformal;
  if (conformal) {
    row.conformal_set = lacSet(r.probabilities, conformal.qhat);
    row.conformal_alpha = conformal.alpha;
  }
  return row;
}
