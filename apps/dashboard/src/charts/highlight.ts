import * as d3 from 'd3';
import type { Explanation } from '../api-client.js';

/**
 * The explained text with each word's background coloured by its attribution under `method`
 * (red: towards the target label, blue: against it). Words and the gaps between them are
 * inserted with D3's .text(), so the text is never parsed as HTML.
 */
export function highlightText(container: HTMLElement, explanation: Explanation, method: string): void {
  const scores = explanation.word_attributions[method] ?? [];
  const max = d3.max(scores, (s) => Math.abs(s)) || 1;
  const text = explanation.text;
  const root = d3.select(container).append('p').attr('class', 'highlighted').attr('data-method', method);
  let at = 0;
  explanation.words.forEach((w, i) => {
    if (w.start > at) root.append('span').attr('class', 'gap').text(text.slice(at, w.start));
    const s = scores[i] ?? 0;
    const a = Math.min(1, Math.abs(s) / max);
    root
      .append('span')
      .attr('class', 'word')
      .attr('data-score', s.toFixed(4))
      .style('background-color', s >= 0 ? `rgba(220, 38, 38, ${(a * 0.75).toFixed(3)})` : `rgba(37, 99, 235, ${(a * 0.75).toFixed(3)})`)
      .attr('title', `${w.text}: ${s.toPrecision(3)}`)
      .text(text.slice(w.start, w.end) || w.text);
    at = Math.max(at, w.end);
  });
  if (at >= text.length) return;
  if (!explanation.truncated) {
    root.append('span').attr('class', 'gap').text(text.slice(at));
    return;
  }
  // What the model never read: grey, and cut short so a long text does not make a long page.
  const rest = text.slice(at);
  const unread = root.append('span').attr('class', 'unread').attr('title', 'not read by the model');
  unread.text(rest.length > UNREAD_SHOWN ? rest.slice(0, UNREAD_SHOWN) : rest);
  if (rest.length > UNREAD_SHOWN) {
    root.append('span').attr('class', 'unread-more').text(` … ${(rest.length - UNREAD_SHOWN).toLocaleString('en-US')} more characters not read`);
  }
}

/** Characters of a truncated text's unread rest shown after the explained words. */
export const UNREAD_SHOWN = 200;
