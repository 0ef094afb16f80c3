import { GlassboxError } from '@glassbox/core';
import { explainText, renderExplanationHtml, type ExplainMethod, type Explanation, type Granularity } from '@glassbox/explain';
import { writeFileAtomic } from '../io/atomic-file.js';
import { openEngine, type EngineFlags } from './shared.js';

export interface ExplainFlags extends EngineFlags {
  method?: 'rollout' | 'occlusion' | 'all';
  target?: string;
  contrast?: string;
  granularity?: Granularity;
  windowSize?: number;
  windowStride?: number;
  faithfulness?: boolean;
  json?: boolean;
  html?: string;
}

/** Explains one prediction with rollout and/or occlusion; JSON, a text table, or an HTML page. */
export async function explainCommand(texts: string[], flags: ExplainFlags, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<Explanation> {
  if (texts.length !== 1) throw new GlassboxError('INVALID_INPUT', `explain takes one text, got ${texts.length} (quote the text)`);
  const engine = await openEngine(flags);
  try {
    let methods: ExplainMethod[] = flags.method === 'all' || flags.method === undefined ? ['rollout', 'occlusion'] : [flags.method];
    if (flags.method !== 'rollout' && !engine.capabilities.attentions && methods.includes('rollout')) {
      methods = ['occlusion'];
      err.write('glassbox: note: rollout skipped, the model has no attention outputs (see glassbox expose-attentions)\n');
    }
    const e = await explainText(engine, texts[0], {
      methods,
      target: flags.target,
      contrast: flags.contrast,
      granularity: flags.granularity ?? 'word',
      windowSize: flags.windowSize,
      windowStride: flags.windowStride,
      faithfulness: flags.faithfulness,
    });
    if (flags.html) await writeFileAtomic(flags.html, renderExplanationHtml(e));
    out.write(flags.json ? `${JSON.stringify(e, null, 2)}\n` : formatExplanation(e));
    return e;
  } finally {
    await engine.dispose();
  }
}

function formatExplanation(e: Explanation): string {
  const methods = Object.keys(e.attributions) as ExplainMethod[];
  const lines = [
    `predicted ${e.label} (${e.probabilities[e.label].toFixed(3)}); explaining ${e.target}${e.contrast ? ` rather than ${e.contrast}` : ''} by ${e.granularity}`,
    `${e.granularity.padEnd(16)} ${methods.map((m) => m.padStart(10)).join(' ')}`,
    ...e.tokens.map((t, i) => `${t.text.slice(0, 16).padEnd(16)} ${methods.map((m) => (e.attributions[m]?.[i] ?? 0).toFixed(4).padStart(10)).join(' ')}`),
  ];
  if (e.faithfulness) {
    lines.push('faithfulness (AOPC)      comprehensiveness  sufficiency');
    for (const [m, f] of Object.entries(e.faithfulness)) {
      lines.push(`  ${m.padEnd(22)} ${f.comprehensiveness_aopc.toFixed(4).padStart(17)} ${f.sufficiency_aopc.toFixed(4).padStart(12)}`);
    }
  }
  if (e.agreement) lines.push(`agreement: Kendall tau ${e.agreement.kendall_tau.toFixed(3)}, top-${e.agreement.k} overlap ${e.agreement.top_k_overlap.toFixed(2)}`);
  return `${lines.join('\n')}\n`;
}
