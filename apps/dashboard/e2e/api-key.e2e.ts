import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../api/src/index.js';

/** A server with an API key: the dashboard asks for it on the first 401, keeps it for the tab, and then lists the audit trail. */
const CHROMIUM = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const KEY = 'dashboard-e2e-key';
const skipReason = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing` : !existsSync(join(DIST, 'index.html')) ? 'apps/dashboard/dist is not built' : null;

let server: ApiServer;
let base: string;
let browser: Browser;

describe.skipIf(skipReason !== null)('the dashboard on a server with an API key', () => {
  beforeAll(async () => {
    server = await createApiServer({ modelDir: join(REPO, 'models/emotion-mini'), workers: 1, apiKey: KEY, dashboardDir: DIST, log: { write: () => true } });
    base = `http://127.0.0.1:${(await server.listen(0)).port}`;
    await fetch(`${base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: ['I am so happy today'] }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('asks for the key on a 401, says when it is refused, then lists the audit trail with it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/#audit`);
    await page.waitForSelector('#api-key-dialog[open]');
    expect(await page.textContent('#api-key-dialog')).toMatch(/--api-key-file/);
    await page.fill('#api-key-input', 'wrong-key');
    await page.click('#api-key-submit');
    await page.waitForSelector('#api-key-dialog[open] >> text=refused that key');
    await page.fill('#api-key-input', KEY);
    await page.click('#api-key-submit');
    await page.waitForSelector('#recent-predictions li');
    expect(await page.evaluate(() => sessionStorage.getItem('glassbox-api-key'))).toBe(KEY);
    // A reload in the same tab keeps the key: no second prompt.
    await page.reload();
    await page.waitForSelector('#recent-predictions li');
    expect(await page.locator('#api-key-dialog').count()).toBe(0);
    await page.close();
  }, 90_000);
});

if (skipReason) it.skip(`api-key e2e skipped: ${skipReason}`, () => undefined);
