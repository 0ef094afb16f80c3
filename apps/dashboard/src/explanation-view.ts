import type { Explanation } from './api-client.js';
import { highlightText } from './charts/highlight.js';
import { el, num, pct, stat } from './dom.js';

/**
 * The agreement line of two methods. The server ranks the top 20% of the words (k), which on a
 * long text is hundreds: say so as a share of the words instead of a bare "top-376".
 */
export function agreementText(a: string, b: string, k: number, words: number, kendallTau: number, overlap: number): string {
  const top = k <= 10 ? `top-${k}` : `top ${pct(k / Math.max(1, words), 0)} (${k} of ${words} words)`;
  return `Agreement ${a} / ${b}: Kendall τ ${num(kendallTau)}, ${top} overlap ${pct(overlap, 0)}.`;
}

/** Fills `root` with an explanation: per method the highlighted text (scrolling when long) and its faithfulness. */
export function renderExplanation(root: HTMLElement, x: Explanation): void {
  root.replaceChildren();
  const methods = Object.keys(x.word_attributions);
  root.append(el('p', { class: 'muted', text: `Explaining “${x.target}”. Red words push towards it, blue words away.` }));
  if (x.truncated) {
    root.append(
      el('p', {
        class: 'truncation',
        attrs: { id: 'audit-explained-part' },
        text: `Explained: the ${x.words.length} words the model read. The text has ${x.text_tokens} tokens, more than the model reads; the grey rest played no part in the prediction.`,
      }),
    );
  }
  if (!x.faithfulness) {
    root.append(el('p', { class: 'muted', attrs: { id: 'audit-no-faithfulness' }, text: 'Explained without faithfulness scores (no AOPC figures).' }));
  }
  for (const method of methods) {
    const f = x.faithfulness?.[method];
    const box = el('div', { class: 'method', attrs: { 'data-method': method } }, [el('h3', { text: method + (x.class_agnostic.includes(method) ? ' (class-agnostic)' : '') })]);
    const body = el('div', { class: 'method-body' });
    highlightText(body, x, method);
    box.append(body);
    if (f) {
      box.append(
        el('div', { class: 'stats small' }, [
          stat('comprehensiveness AOPC', num(f.comprehensiveness_aopc), 'Drop in the target probability when the top words are removed (higher: more faithful)'),
          stat('sufficiency AOPC', num(f.sufficiency_aopc), 'Drop when only the top words are kept (lower: more faithful)'),
        ]),
      );
    }
    root.append(box);
  }
  const random = x.faithfulness?.['random'];
  if (random) root.append(el('p', { class: 'muted', text: `Random ranking baseline: comprehensiveness ${num(random.comprehensiveness_aopc)}, sufficiency ${num(random.sufficiency_aopc)}.` }));
  const words = x.words.length;
  for (const pair of x.agreement?.pairs ?? []) {
    const [a, b] = pair.methods;
    root.append(el('p', { class: 'muted agreement', text: agreementText(a, b, x.agreement?.k ?? 0, words, pair.kendall_tau, pair.top_k_overlap) }));
  }
}
