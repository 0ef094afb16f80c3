import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * README's "The first hour": every fenced command, exactly as written, in order, in a scratch
 * directory (its node_modules a link to the repository's, so `npx glassbox` resolves as in a
 * clone). `npx glassbox serve` starts in the background as in a second terminal; a block after
 * prose that says Ctrl-C first stops it with SIGINT to its process group, as a terminal does.
 * Needs port 8080 free (the README's port) and curl; skips with a message otherwise.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const start = readme.indexOf('## The first hour');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const steps = [...section.matchAll(/([\s\S]*?)```\n([\s\S]*?)```/g)].map((m) => ({ prose: m[1], command: m[2].trim() }));

const portFree = await new Promise<boolean>((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen(8080, '127.0.0.1', () => probe.close(() => resolve(true)));
});
const hasCurl = spawnSync('curl', ['--version']).status === 0;
const skip = !portFree ? 'port 8080 is taken' : !hasCurl ? 'curl is missing' : null;
if (skip) console.warn(`skipping README's walkthrough: ${skip}`);

const work = mkdtempSync(join(tmpdir(), 'glassbox-walkthrough-'));
symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
const env: NodeJS.ProcessEnv = { ...process.env };
for (const name of ['GLASSBOX_STATE', 'GLASSBOX_MODEL', 'GLASSBOX_API_KEY', 'GLASSBOX_API_KEY_FILE', 'PORT', 'HOST']) delete env[name];

let server: ChildProcess | null = null;
let serverLog = '';

async function serve(command: string): Promise<string> {
  const child = spawn('bash', ['-c', command], { cwd: work, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  server = child;
  let log = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 90 s: ${log}`)), 90_000);
    child.stderr?.on('data', (c: Buffer) => {
      log += c.toString();
      serverLog += c.toString();
      if (/drift reference/.test(log)) {
        clearTimeout(timer);
        resolve(log);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited: ${log}`));
    });
  });
}

/** Ctrl-C: SIGINT to the whole process group (the shell dies of it, the server exits 0 after finishing its requests). */
async function stop(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  server = null;
  const exited = once(child, 'exit');
  if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
  await exited;
}

afterAll(async () => {
  await stop();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skip !== null)("README's first hour, every command as written", () => {
  it('has the commands it promises: serve, curl for every API family, feedback, a drift replay, stop and restart', () => {
    const all = steps.map((s) => s.command).join('\n');
    for (const route of ['/v1/predict', '/v1/explain', '/models/emotion-mini', '/predict ', '/v2/models/emotion-mini/infer', '/v1/feedback', '/v1/predictions', '/v1/monitor']) {
      expect(all, route).toContain(route);
    }
    expect(steps.filter((s) => s.command === 'npx glassbox serve')).toHaveLength(2);
  });

  it('runs them in order; drift alarms after the replay; the restart keeps the audit trail', async () => {
    const outputs: string[] = [];
    for (const { prose, command } of steps) {
      if (/Ctrl-C/.test(prose)) {
        await stop();
        expect(serverLog).toContain('glassbox: shutting down, finishing in-flight requests');
      }
      if (command === 'npx glassbox serve') {
        const log = await serve(command);
        expect(log).toMatch(/calibration: the model bundle's/);
        continue;
      }
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', command], { cwd: work, env, encoding: 'utf8', timeout: 300_000 });
      expect(r.status, `${command}\n${r.stdout}\n${r.stderr}`).toBe(0);
      outputs.push(r.stdout);
    }
    const monitor = JSON.parse(outputs.find((o) => o.includes('"reference"') && o.includes('"alarms"')) ?? 'null') as { alarms: unknown[] } | null;
    expect(monitor?.alarms.length).toBeGreaterThan(0);
    const after = JSON.parse(outputs[outputs.length - 1]) as { predictions: Array<{ id: string; feedback: unknown }> };
    expect(after.predictions).toHaveLength(1);
  }, 900_000);
});

if (skip) it.skip(`README walkthrough skipped: ${skip}`, () => undefined);
