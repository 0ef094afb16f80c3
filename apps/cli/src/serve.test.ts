import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './test-cli.js';
import { useServe } from './test-serve.js';

const work = mkdtempSync(join(tmpdir(), 'glassbox-serve-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KEY = 'a-key-from-a-file';
const keyFile = join(work, 'api-key');
writeFileSync(keyFile, `${KEY}\n`);

const serve = useServe();

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

describe('glassbox serve: a taken port', () => {
  it('exits 2 with one coded line and a hint, instead of hanging', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    try {
      const bin = fileURLToPath(new URL('../bin/glassbox.js', import.meta.url));
      const child = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--state', ':memory:', '--no-reference'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const [code] = await once(child, 'exit');
      clearTimeout(timer);
      expect(code).toBe(2);
      const last = err.trimEnd().split('\n').pop();
      expect(last).toMatch(new RegExp(`^glassbox: port ${port} on 127\\.0\\.0\\.1 is already in use .*--port N.*\\[PORT_IN_USE\\]$`));
      expect(err).not.toMatch(/EADDRINUSE|\n\s+at /);
    } finally {
      squatter.close();
    }
  }, 90_000);
});
