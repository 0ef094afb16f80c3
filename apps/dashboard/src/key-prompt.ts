/**
 * The API key, for a server started with one: asked for once when a route answers 401, kept in
 * sessionStorage (gone when the tab closes; never in localStorage or a cookie) and sent as
 * `Authorization: Bearer <key>`.
 */
import { el } from './dom.js';

const STORAGE_KEY = 'glassbox-api-key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function storeKey(key: string | null): void {
  try {
    if (key === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage refused (private mode): the key lives until the page reloads.
  }
}

let pending: Promise<string | null> | null = null;

/**
 * Shows the key form (one at a time, shared by every request that got a 401); resolves with the
 * key entered, or null when cancelled. A rejected key is forgotten before asking again.
 */
export function askForKey(rejected: boolean): Promise<string | null> {
  if (rejected) storeKey(null);
  pending ??= new Promise<string | null>((resolve) => {
    const input = el('input', { attrs: { id: 'api-key-input', type: 'password', autocomplete: 'off', required: '', 'aria-label': 'API key' } });
    const dialog = el('dialog', { attrs: { id: 'api-key-dialog', 'aria-labelledby': 'api-key-title' } }, [
      el('form', { attrs: { method: 'dialog' } }, [
        el('h2', { text: 'API key needed', attrs: { id: 'api-key-title' } }),
        el('p', {
          text: rejected
            ? 'The server refused that key. Enter the key it was started with (--api-key-file FILE).'
            : 'This server was started with an API key (--api-key-file FILE); its audit trail and admin routes need it. It is kept in this tab only (sessionStorage).',
        }),
        input,
        el('div', { class: 'dialog-buttons' }, [
          el('button', { text: 'Cancel', attrs: { type: 'button', value: 'cancel', id: 'api-key-cancel' } }),
          el('button', { text: 'Use key', attrs: { type: 'submit', value: 'ok', id: 'api-key-submit' } }),
        ]),
      ]),
    ]);
    const done = (key: string | null) => {
      dialog.close();
      dialog.remove();
      pending = null;
      if (key !== null) storeKey(key);
      resolve(key);
    };
    dialog.querySelector('#api-key-cancel')?.addEventListener('click', () => done(null));
    dialog.addEventListener('cancel', () => done(null));
    dialog.querySelector('form')?.addEventListener('submit', (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (key !== '') done(key);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
  return pending;
}
