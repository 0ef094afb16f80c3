import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine } from '@glassbox/core';
import { explanationCost } from '@glassbox/explain';
import { createApiServer, type ApiServer } from '../../api/src/index.js';

/**
 * The figures a newcomer reads in the dashboard say what they are: in-sample calibration metrics
 * are labelled so and shown beside held-out ones, truncation comes with its token counts, a refused explanation is said (with an
 * explicit way on) instead of retried silently, recent predictions read as time, label,
 * confidence and text, and a server without calibration or abstention rule says so instead of
 * showing "-" and a green "Answered".
 */
const CHROMIUM = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MODEL_DIR = join(REPO, 'models/emotion-mini');
const CALIBRATION = join(MODEL_DIR, 'calibration.json');
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const skipReason = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing` : !existsSync(join(DIST, 'index.html')) ? 'apps/dashboard/dist is not built' : null;

// Longer than the model reads (128 tokens with <s> and </s>), so it is truncated.
const LONG = Array.from({ length: 30 }, (_, i) => (i % 2 ? 'I am so happy for you today.' : 'Thank you for the lovely surprise!')).join(' ');
const quiet = { write: () => true };
// README's calibration screenshot (the shipped calibration, in-sample beside held-out) is rewritten only when asked.
const SHOTS = process.env['GLASSBOX_UPDATE_SCREENSHOTS'] === '1' ? join(REPO, 'docs/screenshots') : null;

let calibrated: ApiServer;
let plain: ApiServer;
let base: string;
let plainBase: string;
let browser: Browser;

async function predict(url: string, text: string): Promise<{ label: string; score: number; tokens: number; truncated: boolean }> {
  const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [text] }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { predictions: Array<{ label: string; score: number; tokens: number; truncated: boolean }> }).predictions[0];
}

/** A page of the dashboard at `url` (e.g. `${base}/#audit`), at the size every test here uses. */
async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  return page;
}

async function classify(page: Page, text: string): Promise<void> {
  await page.fill('#audit-text', text);
  await page.click('#audit-submit');
  await page.waitForSelector('#audit-probabilities svg rect.bar');
}

describe.skipIf(skipReason !== null)('plain figures in the dashboard', () => {
  beforeAll(async () => {
    calibrated = await createApiServer({ modelDir: MODEL_DIR, workers: 1, calibrationPath: CALIBRATION, abstain: 'certified', storeText: true, dashboardDir: DIST, log: quiet });
    base = `http://127.0.0.1:${(await calibrated.listen(0)).port}`;
    plain = await createApiServer({ modelDir: MODEL_DIR, workers: 1, dashboardDir: DIST, log: quiet });
    plainBase = `http://127.0.0.1:${(await plain.listen(0)).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await calibrated?.close();
    await plain?.close();
  });

  it('shows held-out figures beside the in-sample ones: metrics, reliability, conformal coverage and the certificate', async () => {
    const file = JSON.parse(readFileSync(CALIBRATION, 'utf8'));
    const held = file.metrics.held_out;
    expect(held, 'the shipped calibration carries held-out metrics (npm run defaults:mini)').toBeDefined();
    const page = await openPage(`${base}/#calibration`);
    await page.waitForSelector('#reliability-chart path.reliability-line');
    const body = (await page.textContent('#calibration-body')) ?? '';
    expect(body).toMatch(/Metrics \(in-sample and held-out\)/);
    expect(await page.textContent('#calibration-body table.data thead')).toMatch(/raw.*calibrated, in-sample.*calibrated, held-out/);
    const ece = await page.$$eval('#calibration-body table.data tbody tr', (rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)).find((cells) => cells[0] === 'ECE'),
    );
    expect(ece).toEqual(['ECE', file.metrics.before.ece.toFixed(4), file.metrics.after.ece.toFixed(4), held.after.ece.toFixed(4)]);
    expect(await page.$$eval('#reliability-chart path.reliability-line', (p) => p.length)).toBe(3);
    expect(await page.textContent('#calibration-in-sample')).toMatch(
      new RegExp(`measured on the ${file.fitted_on.count} rows the calibration was fitted on.*${held.folds}-fold cross-fitting`),
    );
    expect(body).toContain(`(target ${Math.round(held.conformal.target_coverage * 100)}`);
    expect(await page.textContent('#certificate-held-out')).toMatch(/answered \d+(\.\d)?% of rows it was not fitted on, and was wrong on \d+(\.\d)?%/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'calibration.png') });
    await page.close();
  }, 60_000);

  it('labels a calibration without held-out figures in-sample, with the rows they were measured on', async () => {
    const file = JSON.parse(readFileSync(CALIBRATION, 'utf8'));
    delete file.metrics.held_out;
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-older-cal-'));
    writeFileSync(join(dir, 'calibration.json'), JSON.stringify(file));
    const older = await createApiServer({ modelDir: MODEL_DIR, workers: 1, calibrationPath: join(dir, 'calibration.json'), dashboardDir: DIST, log: quiet });
    try {
      const page = await openPage(`http://127.0.0.1:${(await older.listen(0)).port}/#calibration`);
      await page.waitForSelector('#reliability-chart path.reliability-line');
      const body = (await page.textContent('#calibration-body')) ?? '';
      expect(body).toMatch(/Reliability diagram \(in-sample\)/i);
      expect(body).toMatch(/Metrics \(in-sample\)/i);
      expect(await page.textContent('#calibration-body table.data thead')).not.toMatch(/held-out/);
      expect(await page.textContent('#calibration-in-sample')).toMatch(
        new RegExp(`measured on the ${file.fitted_on.count} rows the calibration was fitted on.*no held-out figures.*glassbox evaluate --calibration`),
      );
      await page.close();
    } finally {
      await older.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('shows truncation with the token counts, and explains what the model read, greying the rest', async () => {
    const served = await predict(base, LONG);
    const maxTokens = ((await (await fetch(`${base}/info`)).json()) as { max_input_length: number }).max_input_length;
    expect(served.truncated).toBe(true);
    expect(served.tokens).toBeGreaterThan(maxTokens);

    const page = await openPage(`${base}/#audit`);
    await classify(page, LONG);
    expect(await page.textContent('#audit-truncation')).toBe(`truncated: first ${maxTokens} of ${served.tokens} tokens used`);
    // Faithfulness fits: the explanation covers the one pass the prediction made.
    await page.waitForSelector('#audit-explanations .method .highlighted', { timeout: 90_000 });
    expect(await page.locator('#audit-explain-error').count()).toBe(0);
    expect(await page.locator('#audit-no-faithfulness').count()).toBe(0);
    const explained = (await page.textContent('#audit-explained-part')) ?? '';
    const words = Number(/^Explained: the (\d+) words the model read\./.exec(explained)?.[1]);
    expect(words).toBeGreaterThan(10);
    expect(words).toBeLessThan(maxTokens);
    expect(explained).toContain(`The text has ${served.tokens} tokens, more than the model reads; the grey rest played no part in the prediction.`);
    for (const body of await page.locator('#audit-explanations .method-body .highlighted').all()) {
      // Coloured words: only those the model read; the rest is grey text, cut short.
      expect(await body.locator('.word').count()).toBe(words);
      const unread = (await body.locator('.unread').textContent()) ?? '';
      expect(unread.length).toBeGreaterThan(0);
      expect(LONG).toContain(unread);
      expect(LONG.endsWith(unread) || (await body.locator('.unread-more').count()) === 1).toBe(true);
    }
    // No "top-23 overlap" on dozens of words: a share of the words, with the count.
    const agreement = await page.locator('#audit-explanations .agreement').allTextContents();
    expect(agreement.length).toBeGreaterThan(0);
    for (const line of agreement) {
      expect(line).not.toMatch(/top-\d{2,}/);
      expect(line).toMatch(new RegExp(`top \\d+% \\(\\d+ of ${words} words\\) overlap \\d+%`));
    }
    // Each method's text scrolls in its own box: the page stays a page.
    for (const box of await page.locator('#audit-explanations .method-body').all()) {
      expect(await box.evaluate((e) => e.clientHeight)).toBeLessThanOrEqual(16 * 16);
    }
    await page.close();
  }, 150_000);

  it('says an explanation refusal plainly, with a way on, never retrying behind the user\'s back', async () => {
    // A server whose forward-pass budget fits this text's explanation without faithfulness only.
    const engine = await createInferenceEngine(MODEL_DIR, { maxBatchTokens: 512 });
    const [plainCost, faithfulCost] = [await explanationCost(engine, LONG, { granularity: 'word' }), await explanationCost(engine, LONG, { granularity: 'word', faithfulness: true })];
    await engine.dispose();
    expect(faithfulCost.forwardPasses).toBeGreaterThan(plainCost.forwardPasses);
    const tight = await createApiServer({ modelDir: MODEL_DIR, workers: 1, maxExplainForwardPasses: plainCost.forwardPasses, dashboardDir: DIST, log: quiet });
    try {
      const page = await openPage(`http://127.0.0.1:${(await tight.listen(0)).port}/#audit`);
      const explainBodies: unknown[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/v1/explain')) explainBodies.push(JSON.parse(r.postData() ?? 'null'));
      });
      await classify(page, LONG);
      await page.waitForSelector('#audit-explain-error');
      const error = (await page.textContent('#audit-explain-error')) ?? '';
      expect(error).toContain(
        `EXPLAIN_BUDGET_EXCEEDED: explaining the text would take ${faithfulCost.forwardPasses} forward passes; the budget is ${plainCost.forwardPasses} (maxExplainForwardPasses). Use faithfulness: false`,
      );
      expect(explainBodies).toHaveLength(1);
      expect(explainBodies[0]).toMatchObject({ faithfulness: true });

      await page.click('#audit-explain-plain');
      await page.waitForSelector('#audit-explanations .method .highlighted', { timeout: 90_000 });
      expect(explainBodies).toHaveLength(2);
      expect(explainBodies[1]).not.toHaveProperty('faithfulness');
      expect(await page.textContent('#audit-no-faithfulness')).toMatch(/without faithfulness/);
      await page.close();
    } finally {
      await tight.close();
    }
  }, 150_000);

  it('lists recent predictions as time, label, confidence and the text', async () => {
    const text = 'I miss her so much, the house is empty without her';
    const served = await predict(base, text);
    const page = await openPage(`${base}/#audit`);
    await page.waitForSelector('#recent-predictions li');
    const first = page.locator('#recent-predictions li').first();
    expect(await first.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await first.locator('.pill').textContent()).toContain(served.label);
    expect(await first.locator('.recent-score').textContent()).toBe(`${(served.score * 100).toFixed(1)}%`);
    expect(await first.locator('.recent-text').textContent()).toBe(text);
    // A long text is cut to an excerpt.
    const long = page.locator('#recent-predictions .recent-text', { hasText: 'Thank you for the lovely surprise!' }).first();
    if ((await long.count()) > 0) expect(((await long.textContent()) ?? '').length).toBeLessThanOrEqual(80);
    await page.close();
  }, 60_000);

  it('with an abstention rule: the decision and the conformal set are shown', async () => {
    const page = await openPage(`${base}/#audit`);
    await classify(page, 'I am so happy today, thank you!');
    await page.waitForSelector('#audit-decision');
    expect(await page.textContent('#audit-decision')).toMatch(/^(Answered|Abstained)/);
    expect(await page.textContent('#audit-result')).toMatch(/conformal set\{/);
    expect(await page.locator('#audit-no-calibration').count()).toBe(0);
    await page.close();
  }, 60_000);

  it('without calibration: says none is loaded and which flag loads one; no "-" set, no "Answered" without a rule', async () => {
    const page = await openPage(`${plainBase}/#audit`);
    await classify(page, 'I am so happy today, thank you!');
    await page.waitForSelector('#audit-no-calibration');
    expect(await page.textContent('#audit-no-calibration')).toMatch(/No calibration loaded.*--calibration FILE/);
    expect(await page.textContent('#audit-no-abstention')).toMatch(/No abstention rule.*--abstain/);
    const result = (await page.textContent('#audit-result')) ?? '';
    expect(await page.locator('#audit-result .stat-label').allTextContents()).not.toContain('conformal set');
    expect(result).not.toMatch(/Answered/);
    expect(await page.locator('#audit-decision').count()).toBe(0);
    expect(result).toMatch(/raw confidence/);
    await page.close();
  }, 60_000);
});

if (skipReason) it.skip(`plain-figures e2e skipped: ${skipReason}`, () => undefined);
