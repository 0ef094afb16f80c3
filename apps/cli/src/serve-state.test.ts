import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `glassbox serve` keeps its state by default: ./glassbox-data/state.db under the working
 * directory (each test runs the real command in its own empty directory, so nothing lands in
 * the repository). One server per file; `--state :memory:` opts out and says so.
 */

const BIN = fileURLToPath(new URL('../bin/glassbox.js', import.meta.url));
const KEY = 'serve-test-key';
const work = mkdtempSync(join(tmpdir(), 'glassbox-serve-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Serving {
  child: ChildProcess;
  url: string;
  log: string;
}

/** The environment of a plain start: none of the variables that would move the state. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GLASSBOX_API_KEY: KEY, ...extra };
  for (const name of ['GLASSBOX_STATE', 'PORT', 'HOST']) if (!(name in extra)) delete env[name];
  return env;
}

function run(cwd: string, args: string[], env = plainEnv()): ChildProcess {
  return spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Starts serve in `cwd`; resolves once it has said where its state lives. */
async function serve(cwd: string, args: string[] = [], env = plainEnv()): Promise<Serving> {
  const child = run(cwd, args, env);
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 45 s: ${log}`)), 45_000);
    child.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*glassbox: state in /.exec(log);
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
  return { child, url, log };
}

async function stop(s: Serving): Promise<number | null> {
  const exited = once(s.child, 'exit');
  s.child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

function dirIn(name: string): string {
  return mkdtempSync(join(work, `${name}-`));
}

describe('glassbox serve state', () => {
  it('persists to ./glassbox-data/state.db by default, refuses a second server on it, and finds its predictions after a restart', async () => {
    const cwd = dirIn('default');
    const statePath = join(cwd, 'glassbox-data', 'state.db');
    const first = await serve(cwd);
    let id: string;
    try {
      expect(first.log).toContain(`glassbox: state in ${statePath} `);
      expect(first.log).toMatch(/survive restarts/);
      expect(existsSync(statePath)).toBe(true);
      const res = await fetch(`${first.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: ['what a lovely day'] }) });
      expect(res.status).toBe(200);
      id = ((await res.json()) as { predictions: Array<{ id: string }> }).predictions[0].id;

      // A second server on the same directory: one line naming the problem, non-zero exit.
      const second = run(cwd, []);
      let err = '';
      second.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      const [code] = await once(second, 'exit');
      expect(code).not.toBe(0);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
      expect(err).toMatch(/^glassbox: .*in use by another process.*\[STORE_FAILED\]$/m);
    } finally {
      expect(await stop(first)).toBe(0);
    }

    const again = await serve(cwd);
    try {
      const res = await fetch(`${again.url}/v1/predictions/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: string }).id).toBe(id);
    } finally {
      expect(await stop(again)).toBe(0);
    }
  }, 120_000);

  it('--state :memory: keeps nothing, says so, and writes no file', async () => {
    const cwd = dirIn('memory');
    const s = await serve(cwd, ['--state', ':memory:']);
    try {
      expect(s.log).toMatch(/glassbox: state in memory .*nothing will survive a restart/);
    } finally {
      expect(await stop(s)).toBe(0);
    }
    expect(readdirSync(cwd)).toEqual([]);
  }, 60_000);

  it('GLASSBOX_STATE moves it (relative to the working directory), creating its directory', async () => {
    const cwd = dirIn('env');
    const s = await serve(cwd, [], plainEnv({ GLASSBOX_STATE: 'var/lib/gb.db' }));
    try {
      expect(s.log).toContain(`glassbox: state in ${join(cwd, 'var/lib/gb.db')} `);
      expect(existsSync(join(cwd, 'var/lib/gb.db'))).toBe(true);
      expect(existsSync(join(cwd, 'glassbox-data'))).toBe(false);
    } finally {
      expect(await stop(s)).toBe(0);
    }
  }, 60_000);
});
