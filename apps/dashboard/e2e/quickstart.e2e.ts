import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README's main command, `npx glassbox serve`, with no extra flag (only PORT=0 so the test
 * never collides with a server on 8080, and an empty working directory for its state): the
 * dashboard's three tabs all show data within a minute of the first predictions, because the
 * embedded model ships a calibration and a drift reference that serve uses by default.
 */

const CHROMIUM = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO, 'node_modules/.bin/glassbox');
const MINUTE = 60_000;

const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (apt-get install chromium)`
  : !existsSync(join(REPO, 'apps/dashboard/dist/index.html')) || !existsSync(join(REPO, 'apps/cli/dist/main.js'))
    ? 'not built (npm run build)'
    : null;

let cwd: string;
let child: ChildProcess;
let base: string;
let browser: Browser;
let log = '';

async function startServe(): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  for (const name of ['GLASSBOX_STATE', 'GLASSBOX_MODEL', 'GLASSBOX_API_KEY', 'GLASSBOX_API_KEY_FILE', 'HOST']) delete env[name];
  child = spawn(process.execPath, [BIN, 'serve'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 90 s: ${log}`)), 90_000);
    child.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*drift reference/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited: ${log}`));
    });
  });
}

describe.skipIf(skipReason !== null)('the quickstart: `npx glassbox serve` with no flag', () => {
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'glassbox-quickstart-'));
    base = await startServe();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('shows data in all three tabs within a minute of the first predictions', async () => {
    expect(log).toMatch(/calibration: the model bundle's .*calibration\.json/);
    expect(log).toMatch(/drift reference: the model bundle's .*reference\.json/);
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/#audit`);
    // The first prediction, typed into the dashboard; then a few more through the API.
    await page.fill('#audit-text', 'I am so happy today, thank you!');
    await page.click('#audit-submit');
    const first = Date.now();
    const left = () => Math.max(1, MINUTE - (Date.now() - first));
    for (const text of ['I am furious and hurt', 'the train leaves at noon', 'I miss her so much', 'that is disgusting', 'I am terrified']) {
      const res = await fetch(`${base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [text] }) });
      expect(res.status).toBe(200);
    }
    // Audit: the calibrated probabilities (raw and calibrated bars) and the recent predictions.
    await page.waitForSelector('#audit-probabilities svg rect.bar', { timeout: left() });
    expect(await page.locator('#audit-probabilities rect.bar').count()).toBe(14);
    await page.waitForSelector('#recent-predictions li', { timeout: left() });
    // Calibration: the bundle's calibration, reliability diagram and metrics.
    await page.goto(`${base}/#calibration`);
    await page.waitForSelector('#reliability-chart path.reliability-line', { timeout: left() });
    expect(await page.textContent('#calibration-body')).toMatch(/temperature/);
    // Drift: the window against the bundle's reference, updating live.
    await page.goto(`${base}/#drift`);
    await page.waitForSelector('#drift-confidence rect.bar', { timeout: left() });
    expect(await page.textContent('#drift-live')).toMatch(/Updates live/);
    expect(await page.locator('#view-drift .notice-empty').count()).toBe(0);
    await page.close();
  }, 2 * MINUTE);
});

if (skipReason) it.skip(`quickstart e2e skipped: ${skipReason}`, () => undefined);
