import type { Prediction } from '@glassbox/core';
import { GlassboxError } from '@glassbox/core';
import { openEngine, type EngineFlags } from './shared.js';

export interface PredictFlags extends EngineFlags {
  topK?: number;
  json?: boolean;
}

export interface PredictOutput {
  text: string;
  label: string;
  score: number;
  probabilities: Record<string, number>;
  top_k?: Array<{ label: string; score: number }>;
}

export function topK(p: Prediction, k: number): Array<{ label: string; score: number }> {
  return Object.entries(p.probabilities)
    .map(([label, score]) => ({ label, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

export async function predictCommand(texts: string[], flags: PredictFlags, out: NodeJS.WritableStream): Promise<void> {
  if (texts.length === 0) throw new GlassboxError('INVALID_INPUT', 'no text given: glassbox predict "some text" ...');
  texts.forEach((t, i) => {
    if (t.trim() === '') throw new GlassboxError('INVALID_INPUT', `text ${i + 1} is empty`);
  });
  const engine = await openEngine(flags);
  try {
    const predictions = await engine.classify(texts);
    if (flags.json) {
      const rows: PredictOutput[] = predictions.map((p) => ({
        text: p.text,
        label: p.label,
        score: p.score,
        probabilities: p.probabilities,
        ...(flags.topK ? { top_k: topK(p, flags.topK) } : {}),
      }));
      out.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const k = flags.topK ?? 3;
    for (const p of predictions) {
      out.write(`${p.label}\t${p.score.toFixed(3)}\t${p.text}\n`);
      for (const { label, score } of topK(p, k)) {
        out.write(`  ${label.padEnd(10)} ${score.toFixed(4)} ${'█'.repeat(Math.round(score * 30))}\n`);
      }
    }
  } finally {
    await engine.dispose();
  }
}
