import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ApiServer } from '@glassbox/api';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveCommand, type ServeFlags } from './commands/serve.js';
import { cli } from './test-cli.js';

const MODEL_DIR = fileURLToPath(new URL('../../../models/emotion-mini', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'glassbox-variant-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A transformers.js-layout bundle holding only onnx/model_quantized.onnx (a copy of the fp32
// graph: the tests are about loading and selection, not quantization).
const int8Only = join(work, 'int8-only');
mkdirSync(join(int8Only, 'onnx'), { recursive: true });
copyFileSync(join(MODEL_DIR, 'model.onnx'), join(int8Only, 'onnx/model_quantized.onnx'));
for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(MODEL_DIR, f), join(int8Only, f));

function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('--variant on the model commands', () => {
  it('predicts with a quantized-only bundle, asked for or not, as the fp32 graph it copies does', async () => {
    const reference = await cli('predict', '--model', MODEL_DIR, '--json', 'what a wonderful day');
    expect(reference.code).toBe(0);
    for (const args of [['--variant', 'quantized'], []]) {
      const r = await cli('predict', '--model', int8Only, ...args, '--json', 'what a wonderful day');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)[0].label).toBe(JSON.parse(reference.stdout)[0].label);
    }
  });

  it('refuses a variant the bundle lacks, naming the graphs it has, and an unknown variant', async () => {
    expectOneLineError(
      await cli('predict', '--model', int8Only, '--variant', 'fp32', '--json', 'hello'),
      /onnx\/model_quantized\.onnx \(quantized\).*\[BUNDLE_VARIANT_MISSING\]/,
    );
    expectOneLineError(await cli('predict', '--model', join(MODEL_DIR, 'no-attentions'), '--variant', 'quantized', 'hello'), /\[BUNDLE_VARIANT_MISSING\]/);
    expectOneLineError(await cli('predict', '--variant', 'int4', 'hello'), /fp32, quantized/);
    expectOneLineError(await cli('serve', '--variant', 'int4', '--port', '0'), /fp32, quantized/);
  });

  it('batch takes --variant too', async () => {
    const input = join(work, 'in.tsv');
    const out = join(work, 'out.jsonl');
    writeFileSync(input, 'text\nwhat a wonderful day\nthis is awful\n');
    const r = await cli('batch', '--model', int8Only, '--variant', 'quantized', '--in', input, '--out', out, '--no-progress');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('glassbox serve: --variant and --threads', () => {
  let savedListeners: { SIGINT: number; SIGTERM: number };
  const servers: ApiServer[] = [];
  beforeEach(() => {
    savedListeners = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal).slice(savedListeners[signal])) process.removeListener(signal, listener);
    }
  });

  async function serve(flags: ServeFlags): Promise<{ base: string; log: string }> {
    const out = new PassThrough();
    let log = '';
    out.on('data', (c: Buffer) => (log += c.toString()));
    const server = await serveCommand({ port: 0, host: '127.0.0.1', state: ':memory:', ...flags }, out);
    servers.push(server);
    const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
    if (!m) throw new Error(`no address in the log: ${log}`);
    return { base: m[1], log };
  }
  const adminConfig = async (base: string) => (await fetch(`${base}/admin/config`)).json() as Promise<Record<string, unknown>>;

  it('serves the quantized graph with --variant, says so, and takes --threads', async () => {
    const { base, log } = await serve({ model: [int8Only], variant: 'quantized', threads: 3 });
    expect(log).toMatch(/serving .* \(quantized\) on/);
    const config = await adminConfig(base);
    expect(config['modelVariant']).toBe('quantized');
    expect(config['variant']).toBe('quantized');
    expect(config['intraOpThreads']).toBe(3);
  });

  it('defaults to the cores Node can use with one worker; the config file sets variant and intraOpThreads', async () => {
    const byDefault = await adminConfig((await serve({ model: [MODEL_DIR] })).base);
    expect(byDefault['workers']).toBe(1);
    expect(byDefault['intraOpThreads']).toBe(availableParallelism());
    expect(byDefault['modelVariant']).toBe('fp32');
    const config = join(work, 'serve.json');
    writeFileSync(config, JSON.stringify({ modelDir: int8Only, variant: 'quantized', intraOpThreads: 1 }));
    const fromFile = await adminConfig((await serve({ config })).base);
    expect(fromFile['modelVariant']).toBe('quantized');
    expect(fromFile['intraOpThreads']).toBe(1);
  });
});
