import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './test-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'glassbox-explain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const text = "I can't believe you did this to me";

describe('glassbox explain', () => {
  it('--json prints label, target, tokens, attributions per method and faithfulness with random', async () => {
    const r = await cli('explain', '--json', '--faithfulness', '--granularity', 'token', text);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.target).toBe(e.label);
    for (const t of e.tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
    expect(e.attributions.rollout).toHaveLength(e.tokens.length);
    expect(e.attributions.occlusion).toHaveLength(e.tokens.length);
    for (const m of ['rollout', 'occlusion', 'random']) {
      expect(typeof e.faithfulness[m].comprehensiveness_aopc).toBe('number');
      expect(typeof e.faithfulness[m].sufficiency_aopc).toBe('number');
    }
  });

  it('--target and --html: a standalone page with the text escaped', async () => {
    const page = join(work, 'why.html');
    const r = await cli('explain', '--method', 'occlusion', '--target', 'anger', '--html', page, '<b>you</b> did this & I hate it');
    expect(r.code).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('Why anger?');
    expect(html).toContain('&lt;b&gt;');
    expect(html).not.toContain('<b>you</b>');
    expect(r.stderr).toContain(`glassbox: explanation page written to ${page} (open it in a browser)`);
  });

  it('answers bad input in one line', async () => {
    for (const argv of [
      ['explain', '--target', 'angry', text],
      ['explain', 'one', 'two'],
      ['explain', '--method', 'rollout', '--model', join(root, 'models/emotion-mini/no-attentions'), text],
      ['explain', '--granularity', 'sentence', text],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('falls back to occlusion, with a note, on a model without attentions', async () => {
    const r = await cli('explain', '--json', '--model', join(root, 'models/emotion-mini/no-attentions'), text);
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout).attributions)).toEqual(['occlusion']);
    expect(r.stderr).toMatch(/rollout skipped/);
  });

  it('expose-attentions turns a standard export into one rollout can explain', async () => {
    const plain = join(root, 'models/emotion-mini/no-attentions');
    const exposed = mkdtempSync(join(work, 'exposed-'));
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(plain, f), join(exposed, f));
    const r = await cli('expose-attentions', join(plain, 'model.onnx'), join(exposed, 'model.onnx'));
    expect(r.code).toBe(0);
    const layers: number = JSON.parse(readFileSync(join(plain, 'config.json'), 'utf8')).num_hidden_layers;
    const names = Array.from({ length: layers }, (_, i) => `attentions.${i}`).join(', ');
    expect(r.stdout).toContain(`${layers} attention outputs (${names}; 4 heads)`);
    const viaExposed = JSON.parse((await cli('explain', '--json', '--method', 'rollout', '--model', exposed, text)).stdout);
    const viaExport = JSON.parse((await cli('explain', '--json', '--method', 'rollout', text)).stdout);
    viaExposed.attributions.rollout.forEach((v: number, i: number) => expect(v).toBeCloseTo(viaExport.attributions.rollout[i], 5));
    const bad = await cli('expose-attentions', join(root, 'README.md'), join(work, 'x.onnx'));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('expose-attentions checks the config.json of the transformers.js layout (onnx/model.onnx) too', async () => {
    const plain = join(root, 'models/emotion-mini/no-attentions');
    const bundle = mkdtempSync(join(work, 'tjs-'));
    mkdirSync(join(bundle, 'onnx'));
    copyFileSync(join(plain, 'model.onnx'), join(bundle, 'onnx', 'model.onnx'));
    const config = JSON.parse(readFileSync(join(plain, 'config.json'), 'utf8'));
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: config.num_hidden_layers + 1 }));
    const r = await cli('expose-attentions', join(bundle, 'onnx', 'model.onnx'), join(work, 'tjs-out.onnx'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`config\\.json says ${config.num_hidden_layers + 1} layers .* ${config.num_hidden_layers} attention layer`));
    const lone = mkdtempSync(join(work, 'lone-'));
    copyFileSync(join(plain, 'model.onnx'), join(lone, 'model.onnx'));
    const unchecked = await cli('expose-attentions', join(lone, 'model.onnx'), join(work, 'lone-out.onnx'));
    expect(unchecked.code).toBe(0);
    expect(unchecked.stderr).toMatch(/no config\.json beside .* layer and head counts were not checked/);
  });
});
