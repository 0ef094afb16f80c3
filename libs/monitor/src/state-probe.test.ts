import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { availableSqliteDrivers } from './sqlite.js';
import { openStateStore, type StateStore } from './state-store.js';
import { auditEntry } from './test-audit.js';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pages = (store: StateStore) => Number(store.database.prepare('PRAGMA page_count').get()?.['page_count']);
const meta = (store: StateStore, key: string) => store.database.prepare('SELECT value FROM meta WHERE key = ?').get(key)?.['value'];

describe.skipIf(availableSqliteDrivers().length === 0)('StateStore.probe', () => {
  it('fails like an append while the database is full (SQLITE_FULL), and succeeds once there is room again', () => {
    let t = Date.parse('2026-01-02T03:04:05.000Z');
    const store = openStateStore({ path: join(dir, 'full.db'), now: () => t });
    try {
      store.probe();
      expect(meta(store, 'heartbeat')).toBe('2026-01-02T03:04:05.000Z');
      expect(meta(store, 'heartbeat.probe')).toBeUndefined(); // the probe row never stays

      // Fill to a page cap with audit rows until a write fails.
      store.database.exec(`PRAGMA max_page_count = ${pages(store) + 8}`);
      const audit = store.auditLog();
      let stored = 0;
      let failure: unknown = null;
      for (let i = 0; i < 10_000 && failure === null; i++) {
        try {
          audit.add({ ...auditEntry(`a${i}`), text: 'x'.repeat(400) });
          stored++;
        } catch (error) {
          failure = error;
        }
      }
      expect(failure).toMatchObject({ code: 'STORE_FAILED', message: expect.stringMatching(/full/) });
      // The heartbeat row already exists; rewriting it would fit. The probe needs fresh pages.
      expect(() => store.probe()).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));

      store.database.exec('PRAGMA max_page_count = 1073741823');
      t += 1000;
      store.probe();
      expect(meta(store, 'heartbeat')).toBe('2026-01-02T03:04:06.000Z');
      expect(audit.size).toBe(stored); // it touched no audit row
      expect(store.integrityCheck()).toEqual(['ok']);
      expect(store.summary().models).toEqual([]); // heartbeat keys are not models
    } finally {
      store.close();
    }
  });
});
