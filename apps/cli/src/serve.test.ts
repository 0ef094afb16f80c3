import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ApiServer } from '@glassbox/api';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveCommand, type ServeFlags } from './commands/serve.js';
import { cli } from './test-cli.js';

const work = mkdtempSync(join(tmpdir(), 'glassbox-serve-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KEY = 'a-key-from-a-file';
const keyFile = join(work, 'api-key');
writeFileSync(keyFile, `${KEY}\n`);

const ENV = ['GLASSBOX_API_KEY', 'GLASSBOX_API_KEY_FILE', 'HOST', 'PORT'] as const;
let savedEnv: Record<string, string | undefined>;
let savedListeners: { SIGINT: number; SIGTERM: number };
const servers: ApiServer[] = [];

beforeEach(() => {
  savedEnv = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
  savedListeners = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const k of ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  // serveCommand's shutdown handlers, added by this test only.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const added = process.listeners(signal).slice(savedListeners[signal]);
    for (const listener of added) process.removeListener(signal, listener);
  }
});

/** Runs `glassbox serve` in-process on a free loopback port; returns its base URL and log. */
async function serve(flags: ServeFlags): Promise<{ base: string; log: string }> {
  const out = new PassThrough();
  let log = '';
  out.on('data', (c: Buffer) => (log += c.toString()));
  const server = await serveCommand({ port: 0, host: '127.0.0.1', workers: 1, state: ':memory:', ...flags }, out);
  servers.push(server);
  const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
  if (!m) throw new Error(`no address in the log: ${log}`);
  return { base: m[1], log };
}

const adminStatus = async (base: string, key?: string) =>
  (await fetch(`${base}/admin/stats`, { headers: key ? { authorization: `Bearer ${key}` } : {} })).status;

describe('glassbox serve: the API key', () => {
  it('--api-key-file: admin routes need the key from the file', async () => {
    const { base, log } = await serve({ apiKeyFile: keyFile });
    expect(await adminStatus(base)).toBe(401);
    expect(await adminStatus(base, 'wrong')).toBe(401);
    expect(await adminStatus(base, KEY)).toBe(200);
    expect(log).toContain('API key (from --api-key-file)');
    expect(log).not.toContain(KEY);
    expect(log).not.toMatch(/WARNING/);
  });

  it('GLASSBOX_API_KEY_FILE, GLASSBOX_API_KEY and the config file\'s apiKeyFile', async () => {
    process.env['GLASSBOX_API_KEY_FILE'] = keyFile;
    const fromEnvFile = await serve({});
    expect(await adminStatus(fromEnvFile.base, KEY)).toBe(200);
    expect(await adminStatus(fromEnvFile.base)).toBe(401);
    expect(fromEnvFile.log).toContain('from GLASSBOX_API_KEY_FILE');
    delete process.env['GLASSBOX_API_KEY_FILE'];

    process.env['GLASSBOX_API_KEY'] = 'env-key';
    const fromEnv = await serve({});
    expect(await adminStatus(fromEnv.base, 'env-key')).toBe(200);
    delete process.env['GLASSBOX_API_KEY'];

    const config = join(work, 'config.json');
    writeFileSync(config, JSON.stringify({ apiKeyFile: keyFile }));
    const fromConfig = await serve({ config });
    expect(await adminStatus(fromConfig.base, KEY)).toBe(200);
    expect(await adminStatus(fromConfig.base)).toBe(401);
  });

  it('--api-key works but warns that ps shows it', async () => {
    const { base, log } = await serve({ apiKey: 'on-the-command-line' });
    expect(await adminStatus(base, 'on-the-command-line')).toBe(200);
    expect(log).toMatch(/--api-key is visible .* `ps`/);
  });

  it('without a key: a loud warning, and admin routes answer loopback clients', async () => {
    const { base, log } = await serve({});
    expect(log).toMatch(/WARNING: no API key/);
    expect(await adminStatus(base)).toBe(200);
  });

  it('refuses a non-loopback host without a key, a missing or empty key file, and both key flags: one line, exit 2', async () => {
    const expectOneLine = (r: { code: number; stderr: string }, pattern: RegExp) => {
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    };
    expectOneLine(await cli('serve', '--host', '0.0.0.0', '--port', '0'), /refusing to listen on 0\.0\.0\.0 without an API key.*\[INVALID_OPTION\]/);
    process.env['HOST'] = '::';
    expectOneLine(await cli('serve', '--port', '0'), /without an API key.*\[INVALID_OPTION\]/);
    delete process.env['HOST'];
    expectOneLine(await cli('serve', '--port', '0', '--api-key-file', join(work, 'missing')), /cannot read the API key file.*\[INPUT_FILE_UNREADABLE\]/);
    const empty = join(work, 'empty-key');
    writeFileSync(empty, '\n');
    expectOneLine(await cli('serve', '--port', '0', '--api-key-file', empty), /is empty.*\[INVALID_OPTION\]/);
    expectOneLine(await cli('serve', '--port', '0', '--api-key-file', keyFile, '--api-key', 'x'), /not both.*\[INVALID_OPTION\]/);
  });
});

describe('glassbox serve: --allowed-host', () => {
  it('answers the named host besides loopback names and IPs; refuses others', async () => {
    const { base } = await serve({ allowedHost: ['glassbox.internal'] });
    const { port } = new URL(base);
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/health', headers: { host }, timeout: 10_000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
      });
    expect(await status('glassbox.internal')).toBe(200);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status('attacker.example')).toBe(403);
  });
});
