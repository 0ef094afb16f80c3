/** Tiny DOM helpers. Text always goes in through textContent, never innerHTML. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; attrs?: Record<string, string> } = {},
  children: ReadonlyArray<Node | null> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const child of children) if (child) node.append(child);
  return node;
}

export const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(digits)}%`);
export const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** A labelled figure: a small caption over a big number. */
export function stat(label: string, value: string, hint?: string): HTMLElement {
  return el('div', { class: 'stat', attrs: hint ? { title: hint } : {} }, [el('div', { class: 'stat-label', text: label }), el('div', { class: 'stat-value', text: value })]);
}

/** A table from header names and rows of cell texts (or nodes). */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | Node>>, className = 'data'): HTMLTableElement {
  const t = el('table', { class: className });
  t.append(el('thead', {}, [el('tr', {}, headers.map((h) => el('th', { text: h, attrs: { scope: 'col' } })))]));
  t.append(el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => (typeof c === 'string' ? el('td', { text: c }) : el('td', {}, [c])))))));
  return t;
}

/** A message box for empty, error and "not configured" states. */
export function notice(kind: 'info' | 'error' | 'empty', title: string, detail?: string): HTMLElement {
  return el('div', { class: `notice notice-${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status' } }, [
    el('strong', { text: title }),
    detail ? el('p', { text: detail }) : null,
  ]);
}

export function section(title: string, ...children: Array<Node | null>): HTMLElement {
  return el('section', { class: 'card' }, [el('h2', { text: title }), ...children]);
}
