import type { Explanation } from './explain-text.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Background colour for a score relative to the largest |score|: red supports, blue opposes. */
function colour(score: number, max: number): string {
  const a = max > 0 ? Math.min(1, Math.abs(score) / max) : 0;
  return score >= 0 ? `rgba(220, 38, 38, ${a.toFixed(3)})` : `rgba(37, 99, 235, ${a.toFixed(3)})`;
}

/**
 * A standalone HTML page (no scripts, no network) showing the text coloured by each method's
 * scores, with the probabilities and faithfulness figures. Every piece of user text is escaped.
 */
export function renderExplanationHtml(e: Explanation): string {
  const sections = Object.entries(e.attributions).map(([method, scores]) => {
    const max = Math.max(0, ...(scores ?? []).map(Math.abs));
    let html = '';
    let cursor = 0;
    e.tokens.forEach((t, i) => {
      html += escape(e.text.slice(cursor, t.start));
      const s = (scores ?? [])[i];
      html += `<span class="u" style="background:${colour(s, max)}" title="${escape(t.text)}: ${s.toFixed(4)}">${escape(e.text.slice(t.start, t.end))}</span>`;
      cursor = t.end;
    });
    // What the model did not read (a truncated text) is greyed, never coloured.
    html += e.truncated ? `<span class="unread" title="not read by the model">${escape(e.text.slice(cursor))}</span>` : escape(e.text.slice(cursor));
    const f = e.faithfulness?.[method];
    const figures = f
      ? `<p class="f">comprehensiveness AOPC ${f.comprehensiveness_aopc.toFixed(4)}, sufficiency AOPC ${f.sufficiency_aopc.toFixed(4)}` +
        (e.faithfulness?.random ? ` (random ranking: ${e.faithfulness.random.comprehensiveness_aopc.toFixed(4)}, ${e.faithfulness.random.sufficiency_aopc.toFixed(4)})` : '') +
        '</p>'
      : '';
    const note = e.class_agnostic.includes(method) ? ' <small>(class-agnostic)</small>' : '';
    return `<section><h2>${escape(method)}${note}</h2><p class="t">${html}</p>${figures}</section>`;
  });
  const probs = Object.entries(e.probabilities)
    .sort((a, b) => b[1] - a[1])
    .map(([l, p]) => `<tr><td>${escape(l)}</td><td>${p.toFixed(4)}</td><td><div class="bar" style="width:${(p * 200).toFixed(1)}px"></div></td></tr>`)
    .join('');
  const agreement = e.agreement
    ? `<h2>Agreement (top ${e.agreement.k})</h2><table>${e.agreement.pairs
        .map((p) => `<tr><td>${escape(p.methods[0])} / ${escape(p.methods[1])}</td><td>Kendall tau ${p.kendall_tau.toFixed(3)}</td><td>top-${e.agreement?.k} overlap ${p.top_k_overlap.toFixed(2)}</td></tr>`)
        .join('')}</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>glassbox explanation: ${escape(e.label)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}
.t{font-size:1.15rem;white-space:pre-wrap}.u{border-radius:3px;padding:0 1px}
.bar{height:.8rem;background:#555}td{padding:0 .5rem}.f{color:#444}small{color:#666}.unread{color:#888}
</style></head><body>
<h1>Why ${escape(e.target)}?</h1>
<p>Predicted <b>${escape(e.label)}</b>; explaining <b>${escape(e.target)}</b>${e.contrast ? ` rather than <b>${escape(e.contrast)}</b>` : ''} at ${escape(e.granularity)} level. Red raises the target's probability, blue lowers it.</p>
<table>${probs}</table>
${e.truncated ? `<p class="f">Truncated: this text has ${e.text_tokens} tokens, more than the model reads. The prediction and this explanation cover its start; the grey text after it played no part in either.</p>` : ''}
${sections.join('\n')}
${agreement}
</body></html>
`;
}
