import { resolve } from 'node:path';
import { CAPABILITIES, GlassboxError, missingCapabilities, type ExplainerPlugin, type PluginRegistry } from '@glassbox/core';
import { defaultExplainers, explainText, renderExplanationHtml, type Explanation, type Granularity } from '@glassbox/explain';
import { writeFileAtomic } from '../io/atomic-file.js';
import { openEngine, type EngineFlags } from './shared.js';

export interface ExplainFlags extends EngineFlags {
  /** Registered explainer names, or 'all' (every one the model supports); default: the default ones. */
  method?: string[];
  /** METHOD.OPTION=VALUE, per the method's options schema. */
  methodOption?: string[];
  seed?: number;
  target?: string;
  contrast?: string;
  granularity?: Granularity;
  windowSize?: number;
  windowStride?: number;
  faithfulness?: boolean;
  json?: boolean;
  html?: string;
}

/** METHOD.OPTION=VALUE flags as per-method options, each value typed by the method's schema. */
export function parseMethodOptions(specs: readonly string[], explainers: PluginRegistry<ExplainerPlugin>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9]+)=(.*)$/.exec(spec);
    if (!m) throw new GlassboxError('INVALID_OPTION', `--method-option must look like METHOD.OPTION=VALUE (e.g. shapley.permutations=32), got "${spec}"`);
    const [, method, key, raw] = m;
    const schema = explainers.get(method).options?.[key];
    const value = schema?.type === 'number' || schema?.type === 'integer' ? Number(raw) : schema?.type === 'boolean' ? raw === 'true' ? true : raw === 'false' ? false : raw : raw;
    (out[method] ??= {})[key] = value;
  }
  return out;
}

/** Explains one prediction with the registered explainers; JSON, a text table, or an HTML page. */
export async function explainCommand(
  texts: string[],
  flags: ExplainFlags,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  explainers: PluginRegistry<ExplainerPlugin> = defaultExplainers(),
): Promise<Explanation> {
  if (texts.length !== 1) throw new GlassboxError('INVALID_INPUT', `explain takes one text, got ${texts.length} (quote the text)`);
  const methodOptions = parseMethodOptions(flags.methodOption ?? [], explainers);
  const engine = await openEngine(flags);
  try {
    let methods: string[] | undefined = flags.method?.filter((m) => m !== 'all');
    if (methods?.length === 0 || flags.method === undefined) {
      // The default methods, or with 'all' every registered one: those the model supports run,
      // the others are skipped with a note.
      const chosen = explainers.entries().map((e) => e.plugin).filter((p) => flags.method !== undefined || p.byDefault);
      methods = [];
      for (const p of chosen) {
        const [missing] = missingCapabilities(p.requires, engine.capabilities);
        if (missing === undefined) methods.push(p.name);
        else err.write(`glassbox: note: ${p.name} skipped: it ${CAPABILITIES[missing].missing}\n`);
      }
    }
    const e = await explainText(engine, texts[0], {
      methods,
      methodOptions,
      explainers,
      seed: flags.seed,
      target: flags.target,
      contrast: flags.contrast,
      granularity: flags.granularity ?? 'word',
      windowSize: flags.windowSize,
      windowStride: flags.windowStride,
      faithfulness: flags.faithfulness,
    });
    if (e.truncated) {
      err.write(
        `glassbox: note: the text has ${e.text_tokens} tokens and the model reads ${engine.maxLength}: the prediction and its explanation cover the first ${engine.maxLength} (${e.words.length} words); --long-text chunk reads it all\n`,
      );
    }
    if (flags.html) {
      await writeFileAtomic(flags.html, renderExplanationHtml(e));
      err.write(`glassbox: explanation page written to ${resolve(flags.html)} (open it in a browser)\n`);
    }
    out.write(flags.json ? `${JSON.stringify(e, null, 2)}\n` : formatExplanation(e));
    return e;
  } finally {
    await engine.dispose();
  }
}

function formatExplanation(e: Explanation): string {
  const methods = Object.keys(e.attributions);
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
  for (const p of e.agreement?.pairs ?? []) {
    lines.push(`agreement ${p.methods.join('/')}: Kendall tau ${p.kendall_tau.toFixed(3)}, top-${e.agreement?.k} overlap ${p.top_k_overlap.toFixed(2)}`);
  }
  return `${lines.join('\n')}\n`;
}
