import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, softmaxRows } from '@glassbox/core';
import { computeMetricSet, createCalibrator, fitCalibration, fitLac, hashFittingRows, serializeCalibration } from '@glassbox/calibration';
import { buildReferenceProfile } from '@glassbox/monitor';
import { createApiServer, type ApiServer } from '../../api/src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MODEL_DIR = join(REPO, 'models/emotion-mini');
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
// README's screenshots are rewritten only when asked (GLASSBOX_UPDATE_SCREENSHOTS=1), so a test
// run leaves a clone clean; otherwise they go to a scratch folder.
const SHOTS = process.env['GLASSBOX_UPDATE_SCREENSHOTS'] === '1' ? join(REPO, 'docs/screenshots') : join(tmpdir(), `glassbox-e2e-screenshots-${process.pid}`);

const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is missing (apt-get install chromium)`
  : !existsSync(join(DIST, 'index.html'))
    ? 'apps/dashboard/dist is not built (npx vite build --config apps/dashboard/vite.config.ts)'
    : null;
if (skipReason) console.warn(`skipping the dashboard e2e suite: ${skipReason}`);

/** Reference-like traffic: five texts per label, under three prefixes. */
const PHRASES: Array<[string, string[]]> = [
  ['anger', ['I am furious with you', 'this makes me so angry', 'stop lying to me, I am livid', 'I hate how rude they were', 'I am so mad I could scream']],
  ['disgust', ['that is disgusting, gross', 'the smell made me want to throw up', 'what a revolting thing to do', 'the food was rotten and vile', 'that is nasty, yuck']],
  ['fear', ['I am terrified of the dark', 'I am scared something bad will happen', 'that noise frightened me', 'I am afraid to go outside', 'I panic when I think about it']],
  ['joy', ['I am so happy today', 'this is wonderful, I love it', 'thank you so much, great news', 'what a lovely day, I feel great', 'I am thrilled and delighted']],
  ['neutral', ['the meeting is at three', 'I bought bread at the store', 'the report has four pages', 'the train leaves at noon', 'we moved the chairs to the hall']],
  ['sadness', ['I miss her so much', 'I cried all night, I feel so alone', 'my dog died yesterday', 'I feel empty and hopeless', 'nobody came to my birthday']],
  ['surprise', ['wow, I did not expect that at all', 'what? really? no way!', 'I am shocked, that came out of nowhere', 'I cannot believe it happened', 'oh my, what a surprise']],
];
const TEXTS: string[] = [];
for (const prefix of ['', 'Honestly, ', 'Today ']) for (let i = 0; i < 5; i++) for (const [, phrases] of PHRASES) TEXTS.push(prefix + phrases[i]);
const LABELED: Array<[string, string]> = PHRASES.flatMap(([label, phrases]) => phrases.map((p): [string, string] => [p, label]));
const ANGRY = 'I am furious, this makes me so angry!';
const XSS = '<img src=x onerror=alert(1)>';

let dir: string;
let server: ApiServer;
let base: string;
let browser: Browser;

interface Served {
  id: string;
  probabilities: Record<string, number>;
}

async function post(path: string, body: unknown): Promise<{ predictions: Served[] }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { predictions: Served[] };
}

async function predictAll(texts: readonly string[]): Promise<Served[]> {
  const out: Served[] = [];
  for (let i = 0; i < texts.length; i += 50) out.push(...(await post('/v1/predict', { inputs: texts.slice(i, i + 50) })).predictions);
  return out;
}

/** What Chromium refused under the server's Content-Security-Policy, over every page opened. */
const cspViolations: string[] = [];

async function openPage(width: number, height: number, hash: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('dialog', (d) => {
    throw new Error(`unexpected dialog: ${d.message()}`);
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(`${base}/#${hash}`);
  return page;
}

describe.skipIf(skipReason !== null)('the dashboard in Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'glassbox-dashboard-e2e-'));
    // A temperature calibration with a conformal threshold, fitted on the labelled phrases.
    const engine = await createInferenceEngine(MODEL_DIR, { workers: 0, intraOpThreads: 1 });
    let modelId: string;
    let labels: string[];
    try {
      labels = [...engine.labels];
      const k = labels.length;
      modelId = await engine.modelId();
      const logits = Float32Array.from((await engine.classify(LABELED.map(([t]) => t))).flatMap((p) => p.logits));
      const gold = LABELED.map(([, l]) => labels.indexOf(l));
      const fitted = fitCalibration('temperature', logits, gold, k);
      const rowsHash = hashFittingRows(logits, gold);
      const calibrated = createCalibrator(fitted, rowsHash).calibrate(logits, k);
      const lac = fitLac(calibrated, gold, k, { alpha: 0.2 });
      const file = {
        format: 'glassbox-calibration' as const,
        version: 1 as const,
        model: { id: modelId, name: engine.bundle.name, labels, tokenizer: await engine.tokenizerId() },
        calibration: fitted,
        fitted_on: { count: gold.length, sha256: rowsHash },
        metrics: { before: computeMetricSet(softmaxRows(logits, k), gold, k), after: computeMetricSet(calibrated, gold, k) },
        conformal: { method: 'lac' as const, alpha: lac.alpha, qhat: lac.qhat },
        created_at: new Date().toISOString(),
      };
      await writeFile(join(dir, 'calibration.json'), serializeCalibration(file));
    } finally {
      await engine.dispose();
    }
    // The reference: the calibrated server's own predictions on reference-like texts.
    const plain = await createApiServer({ modelDir: MODEL_DIR, workers: 1, calibrationPath: join(dir, 'calibration.json'), dashboardDir: DIST });
    try {
      base = `http://127.0.0.1:${(await plain.listen(0)).port}`;
      const profile = buildReferenceProfile(await predictAll(TEXTS), labels, modelId);
      await writeFile(join(dir, 'reference.json'), JSON.stringify(profile));
    } finally {
      await plain.close();
    }
    server = await createApiServer({
      modelDir: MODEL_DIR,
      workers: 1,
      calibrationPath: join(dir, 'calibration.json'),
      abstain: 'max-probability:0.5',
      referencePath: join(dir, 'reference.json'),
      monitorWindow: 100,
      storeText: true,
      dashboardDir: DIST,
      log: { write: () => true },
    });
    base = `http://127.0.0.1:${(await server.listen(0)).port}`;
    await predictAll(TEXTS.slice(0, 60)); // reference-like traffic in the window
    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!SHOTS.startsWith(REPO)) await rm(SHOTS, { recursive: true, force: true });
  });

  it('audit: classifies and explains a typed text, with recent predictions listed', async () => {
    const page = await openPage(1280, 800, 'audit');
    await page.waitForSelector('#recent-predictions li');
    await page.fill('#audit-text', 'I am so happy today, thank you for the lovely surprise!');
    await page.click('#audit-submit');
    await page.waitForSelector('#audit-probabilities svg rect.bar');
    await page.waitForSelector('.highlighted[data-method="occlusion"] .word', { timeout: 45_000 });
    expect(await page.locator('#audit-probabilities rect.bar').count()).toBe(14); // 7 labels x raw and calibrated
    expect(await page.textContent('#audit-decision')).toMatch(/Answered|Abstained/);
    expect(await page.locator('.highlighted[data-method="rollout"] .word').count()).toBeGreaterThan(5);
    expect(await page.textContent('#audit-explanations')).toMatch(/comprehensiveness AOPC\s*-?\d\.\d{3}/);
    // The method list comes from GET /v1/plugins: every registered explainer, the default ones ticked.
    expect(await page.locator('#audit-methods input').evaluateAll((boxes) => boxes.map((b) => `${(b as HTMLInputElement).value}:${(b as HTMLInputElement).checked}`))).toEqual([
      'occlusion:true',
      'rollout:true',
      'shapley:false',
    ]);
    await page.screenshot({ path: join(SHOTS, 'audit.png') });
    // Opening a recent prediction shows it (and, with the stored text, explains it again).
    await page.click('#recent-predictions li:nth-child(3) button');
    await page.waitForSelector('#audit-result .muted');
    expect(await page.textContent('#audit-result')).toMatch(/served .* id [0-9a-f-]{36}/);
    await page.close();
  });

  it('audit: readable on a phone (390 px wide)', async () => {
    const page = await openPage(390, 844, 'audit');
    await page.fill('#audit-text', 'I am so happy today, thank you for the lovely surprise!');
    await page.click('#audit-submit');
    await page.waitForSelector('.highlighted[data-method="occlusion"] .word', { timeout: 45_000 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390); // no horizontal scrolling
    await page.screenshot({ path: join(SHOTS, 'audit-phone.png') });
    await page.close();
  });

  it('audit: user text is rendered as text, never as HTML', async () => {
    const page = await openPage(1280, 800, 'audit');
    await page.fill('#audit-text', XSS);
    await page.click('#audit-submit');
    await page.waitForSelector('.highlighted .word', { timeout: 45_000 });
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.textContent('#audit-input-echo')).toBe(XSS);
    expect(await page.locator('.highlighted[data-method="rollout"]').textContent()).toBe(XSS);
    await page.waitForSelector(`#recent-predictions .recent-text:text-is("${XSS}")`);
    expect(await page.locator('img').count()).toBe(0);
    await page.close();
  });

  it('calibration: reliability diagram and metrics', async () => {
    const page = await openPage(1280, 800, 'calibration');
    await page.waitForSelector('#reliability-chart path.reliability-line');
    expect(await page.locator('#reliability-chart path.reliability-line').count()).toBe(2);
    expect(await page.locator('#reliability-chart circle').count()).toBeGreaterThan(2);
    const text = await page.textContent('#calibration-body');
    expect(text).toMatch(/ECE\s*\d\.\d{4}\s*\d\.\d{4}/);
    expect(text).toMatch(/Brier/);
    expect(text).toMatch(/temperature/);
    // README's calibration.png is taken by plain-figures.e2e.ts, over the shipped calibration's 4,946 rows.
    await page.close();
  });

  it('drift: statistics update live, and an alarm caused through the API appears', async () => {
    const page = await openPage(1280, 800, 'drift');
    await page.waitForSelector('#drift-ratio-chart rect.bar');
    expect(await page.textContent('#drift-alarms')).toBe('');
    expect(await page.textContent('#drift-stats')).toMatch(/estimated accuracy\s*\d+\.\d%/);
    // The alarm level, and no realized accuracy before any feedback.
    expect(await page.textContent('#drift-stats')).toMatch(/expected run length\s*200,000 predictions/);
    expect(await page.textContent('#drift-stats')).toMatch(/realized accuracy\s*–/);
    for (let i = 0; i < 80; i++) await post('/v1/predict', { inputs: ANGRY });
    await page.waitForSelector('#drift-alarms li.alarm', { timeout: 15_000 }); // by polling, without a reload
    expect(await page.textContent('#drift-alarms')).toMatch(/labels · chi-square/);
    // Reference against window: two bars (reference, window) per bucket, with a legend.
    expect(await page.locator('#drift-confidence rect.bar').count()).toBe(2 * 11);
    expect(await page.locator('#drift-margin rect.bar').count()).toBe(2 * 12);
    expect(await page.locator('#drift-entropy rect.bar').count()).toBe(2 * 12);
    expect(await page.locator('#drift-labels rect.bar').count()).toBe(2 * 7);
    expect(await page.textContent('#drift-confidence .legend')).toMatch(/reference.*current window/);
    // Over time: PSI and JS lines per signal, label-share lines per label.
    await page.waitForFunction(() => document.querySelectorAll('#drift-psi-series path.series-line[d*="L"]').length === 4, undefined, { timeout: 15_000 });
    expect(await page.locator('#drift-js-series path.series-line').count()).toBe(4);
    // Each signal's PSI alarm threshold, dashed.
    expect(await page.locator('#drift-psi-series line.threshold-line').count()).toBe(4);
    expect(await page.locator('#drift-label-series path.series-line').count()).toBe(7);
    expect(await page.textContent('#drift-psi-series .legend')).toMatch(/confidence.*margin.*entropy.*labels/);
    expect(await page.textContent('#drift-psi-series')).toMatch(/PSI/);
    // The screenshot shows the new charts: scroll the reference-vs-window histograms to the top.
    await page.evaluate(() => document.querySelector('#drift-confidence')?.closest('section')?.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, 'drift.png') });
    await page.close();
  });

  it('runs under the server\'s Content-Security-Policy (no inline script) without a violation', async () => {
    const res = await fetch(`${base}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    // Every view once more, then nothing refused in any page of this suite.
    for (const hash of ['audit', 'calibration', 'drift']) {
      const page = await openPage(1280, 800, hash);
      await page.waitForSelector(`#view-${hash} *`);
      await page.close();
    }
    expect(cspViolations).toEqual([]);
  });
});

if (skipReason) it.skip(`dashboard e2e skipped: ${skipReason}`, () => undefined);
