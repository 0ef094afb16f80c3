// glassbox embedded in this service from its npm packages: every promise of docs/embedding.md.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createInferenceEngine } from '@glassbox/core';
import { modelDir as emotionMini } from '@glassbox/emotion-mini';
import { secondModelDir } from '../src/app.mjs';
import { startHost } from './host.mjs';

const run = promisify(execFile);
const withoutModelVariable = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'GLASSBOX_MODEL'));
const CHROMIUM = '/usr/bin/chromium';
const project = new URL('..', import.meta.url).pathname;
let host;

before(async () => {
  host = await startHost();
});
after(async () => {
  await host?.stop();
});

describe('glassbox mounted under /glassbox', () => {
  it('answers its routes under the prefix and leaves the host its own', async () => {
    assert.equal((await fetch(`${host.base}/glassbox/health`)).status, 200);
    const res = await host.post('/glassbox/v1/predict', { inputs: ['I am so happy today'] });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.predictions[0].label, 'joy');
    assert.deepEqual(await (await fetch(`${host.base}/health`)).json(), { status: 'ok', service: 'existing-service' });
    assert.equal((await host.post('/v1/predict', { inputs: ['not glassbox here'] })).status, 404);
  });

  it("lists the host's plugin among glassbox's plugins and applies it as the server's abstention rule", async () => {
    const { plugins } = await (await fetch(`${host.base}/glassbox/v1/plugins`)).json();
    const mine = plugins.find((p) => p.name === 'neutral-floor');
    assert.ok(mine, 'neutral-floor is listed');
    assert.equal(mine.kind, 'abstention');
    const res = await host.post('/glassbox/v1/predict', { inputs: ['The parcel was delivered on Tuesday'] });
    const [p] = (await res.json()).predictions;
    const neutralTop = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0];
    assert.equal(p.abstained, neutralTop[0] === 'neutral' && neutralTop[1] < 0.8);
  });

  it('redirects /glassbox to /glassbox/ and loads the dashboard there in Chromium, every request under the prefix', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is missing` }, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const requests = [];
      page.on('response', (r) => requests.push({ url: new URL(r.url()), status: r.status() }));
      await page.goto(`${host.base}/glassbox`);
      assert.equal(new URL(page.url()).pathname, '/glassbox/');
      await page.fill('#audit-text', 'I am so happy today, thank you!');
      await page.click('#audit-submit');
      await page.waitForSelector('#audit-probabilities svg rect.bar', { timeout: 30_000 });
      const api = requests.filter((r) => r.url.pathname.startsWith('/glassbox/v1/'));
      assert.ok(api.some((r) => r.url.pathname === '/glassbox/v1/predict' && r.status === 200), 'the dashboard called /glassbox/v1/predict');
      assert.ok(requests.some((r) => r.url.pathname.startsWith('/glassbox/assets/') && r.status === 200), 'its assets came from /glassbox/assets/');
      assert.deepEqual(requests.filter((r) => !r.url.pathname.startsWith('/glassbox')).map((r) => r.url.pathname), []);
      assert.deepEqual(requests.filter((r) => r.status >= 400).map((r) => `${r.status} ${r.url.pathname}`), []);
    } finally {
      await browser.close();
    }
  });
});

describe('the libraries from the host handler', () => {
  it('wraps emotion-mini and emotion-mini-b as one ensemble whose raw probabilities are the mean of theirs', async () => {
    const texts = ['I am furious about this', 'What a lovely surprise'];
    const singles = [await createInferenceEngine(emotionMini), await createInferenceEngine(secondModelDir())];
    try {
      const [a, b] = await Promise.all(singles.map((e) => e.classify(texts)));
      const results = await host.toolkit.classify(texts);
      results.forEach((r, i) => {
        for (const label of host.toolkit.labels) {
          const mean = (a[i].probabilities[label] + b[i].probabilities[label]) / 2;
          assert.ok(Math.abs(r.raw.probabilities[label] - mean) < 1e-5, `${label}: ${r.raw.probabilities[label]} vs ${mean}`);
        }
      });
    } finally {
      await Promise.all(singles.map((e) => e.dispose()));
    }
  });

  it('calibrates with the fitted temperature and abstains by its rules, the host plugin among them', async () => {
    const T = host.toolkit.temperature;
    assert.ok(Number.isFinite(T) && T > 0 && Math.abs(T - 1) > 1e-3, `temperature ${T}`);
    const texts = ['The parcel was delivered on Tuesday', 'I changed my address', 'hmm', 'I love it, thank you so much!', 'ok then'];
    const results = await host.toolkit.classify(texts);
    for (const r of results) {
      assert.equal(r.calibrator, 'temperature');
      assert.notDeepEqual(r.probabilities, r.raw.probabilities);
      const expected = r.score < 0.35 ? 'max-probability' : r.label === 'neutral' && r.score < 0.8 ? 'neutral-floor' : null;
      assert.equal(r.abstained, expected !== null, `${r.label} at ${r.score}`);
      if (expected === 'neutral-floor') assert.match(r.abstentionReason, /^neutral-floor:/);
    }
    assert.ok(results.some((r) => r.abstentionReason?.startsWith('neutral-floor:')), 'the host rule withheld a vague neutral answer');
    assert.ok(results.some((r) => !r.abstained), 'a clear answer went through');
    assert.equal(host.toolkit.registries.abstention.sourceOf('neutral-floor').origin, 'file');
  });

  it('classifies, explains and observes drift from the host route, with metrics on the host MeterProvider only', async () => {
    const before = host.toolkit.monitor.status().observed;
    const res = await host.post('/reviews?explain=1', { text: 'I am furious that my order was cancelled again' });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.calibrator, 'temperature');
    assert.equal(body.drift.observed, before + 1);
    const { words, word_attributions: scores, target } = body.explanation;
    assert.equal(target, body.label ?? target);
    assert.ok(words.some((w) => w.text === 'furious'), 'the explanation covers the words');
    assert.equal(scores.occlusion.length, words.length);
    assert.ok(scores.occlusion.every(Number.isFinite));
    assert.equal((await host.post('/reviews', { text: '' })).status, 400);

    const names = await host.metricNames();
    for (const name of ['existing-service:glassbox.predictions', 'existing-service:glassbox.prediction.confidence', 'existing-service:reviews.handled']) {
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    }
    assert.ok(names.some((n) => n.startsWith('glassbox:')), "the embedded server's instruments are on the host provider too");
    // glassbox installed no global MeterProvider: the host can still install its own.
    const global = new MeterProvider();
    try {
      assert.equal(metrics.setGlobalMeterProvider(global), true);
    } finally {
      metrics.disable();
      await global.shutdown();
    }
  });
});

describe('the glassbox command in this project', () => {
  it('predicts with the default model (the installed @glassbox/emotion-mini) without --model', async () => {
    const { stdout } = await run('npx', ['--no-install', 'glassbox', 'predict', '--json', 'I am so happy today'], { cwd: project, env: withoutModelVariable() });
    const [row] = JSON.parse(stdout);
    assert.equal(row.label, 'joy');
  });

  it('takes any model directory with --model', async () => {
    const { stdout } = await run('npx', ['--no-install', 'glassbox', 'predict', '--json', '--model', secondModelDir(), 'I am so happy today'], { cwd: project });
    assert.equal(JSON.parse(stdout)[0].text, 'I am so happy today');
  });
});
