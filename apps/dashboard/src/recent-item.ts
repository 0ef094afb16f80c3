import type { AuditEntry } from './api-client.js';
import { el, pct } from './dom.js';

const EXCERPT = 80;

/** The first `max` characters of `text` on one line, with an ellipsis when cut. */
export function excerpt(text: string, max = EXCERPT): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/**
 * One row of the recent predictions: time, label (or "abstained"), confidence (calibrated or
 * raw) and the text's start when the server stores texts; a button that opens the prediction.
 */
export function recentItem(e: AuditEntry): HTMLButtonElement {
  const when = new Date(e.time);
  return el('button', { class: 'recent-item', attrs: { type: 'button', 'data-id': e.id, title: `${when.toLocaleString()} · id ${e.id}` } }, [
    el('time', { class: 'muted recent-time', text: when.toLocaleTimeString(), attrs: { datetime: e.time } }),
    el('span', { class: `pill ${e.abstained ? 'pill-warn' : ''}`, text: e.abstained ? `abstained (${e.label}?)` : e.label }),
    el('span', { class: 'recent-score', text: pct(e.score), attrs: { title: e.calibrated ? 'calibrated confidence' : 'raw confidence' } }),
    e.text !== undefined
      ? el('span', { class: 'recent-text', text: excerpt(e.text), attrs: { title: excerpt(e.text, 400) } })
      : el('span', { class: 'recent-text muted', text: 'text not stored (serve --store-text keeps it)' }),
  ]);
}
