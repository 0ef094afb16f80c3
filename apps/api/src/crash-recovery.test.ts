import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { availableSqliteDrivers, openStateStore } from '@glassbox/monitor';
import { DEFAULT_STATE_PATH } from './state-location.js';
import { LABELS, TEST_FEELINGS, TEST_SUBJECTS, useScratchWithReference } from './test-server.js';

/**
 * The state database under a hard crash, in the default configuration of `glassbox serve` (no
 * --state: ./glassbox-data/state.db under the working directory): a server in a child process,
 * started in an empty directory, takes concurrent /v1/predict and /v1/feedback traffic on
 * loopback, is killed with SIGKILL while requests are in flight, and is started again in the
 * same directory. Everything it acknowledged must be there: each audited prediction (with its
 * feedback) and its count in the drift window.
 */

const CHILD = fileURLToPath(new URL('./test-child-server.ts', import.meta.url));
// By URL, so the child resolves it from any working directory.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const WINDOW = 5000; // larger than the traffic, so no acknowledged prediction leaves the window
const KILL_AFTER = 120; // acknowledged predictions before the kill
const MAX_REQUESTS = 2000; // bound on the traffic, whatever happens
const CLIENTS = 4;

const SUBJECTS = TEST_SUBJECTS;
const FEELINGS = TEST_FEELINGS;
const text = (i: number) => `${SUBJECTS[i % SUBJECTS.length]} ${FEELINGS[(i * 5 + Math.floor(i / 7)) % FEELINGS.length]}`;

interface Child {
  process: ChildProcess;
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  /** What it printed before listening (the state line, with serveDefaults). */
  banner: string;
}

/** The child server, in `cwd`, with the state where `glassbox serve` puts it by default. */
async function startChild(cwd: string, options: Record<string, unknown>): Promise<Child> {
  const env = { ...process.env };
  delete env['GLASSBOX_STATE'];
  const child = spawn(process.execPath, ['--conditions=development', '--import', TSX, CHILD, JSON.stringify({ serveDefaults: true, ...options })], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child server did not start within 45 s: ${stderr}`)), 45_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the child server exited (${code}) before listening: ${stderr}`));
    });
  });
  return { process: child, base: `http://127.0.0.1:${port}`, exited, stderr: () => stderr, banner: out };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function postJson(base: string, path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const getJson = async (url: string): Promise<Json> => (await fetch(url)).json();

const sqlite = availableSqliteDrivers().length > 0;
const scratch = useScratchWithReference('glassbox-crash-', () => Array.from({ length: 84 }, (_, i) => text(i + 1000)));

describe.skipIf(!sqlite)('a server in the default configuration killed with SIGKILL during traffic', () => {
  it('restarts on its default state database without losing any acknowledged prediction, feedback or window count', async () => {
    const cwd = join(scratch.dir, 'run');
    await mkdir(cwd);
    const statePath = join(cwd, DEFAULT_STATE_PATH);
    const first = await startChild(cwd, { referencePath: scratch.referencePath, monitorWindow: WINDOW, expectedRunLength: null });
    expect(first.banner).toContain(`state in ${statePath}`);
    expect(existsSync(statePath)).toBe(true);

    // Acknowledged = a 200 response reached us: the server committed before answering.
    const acked = new Map<string, string>(); // prediction id -> label
    const feedback = new Map<string, string>(); // prediction id -> true label, acknowledged
    let lastStatus: { observed: number; window_counts: Record<string, number> } | null = null;
    let sent = 0;
    let killed = false;
    let inFlight = 0;
    let inFlightAtKill = 0;

    const client = async (c: number) => {
      while (!killed && sent < MAX_REQUESTS) {
        const n = 1 + ((sent + c) % 3);
        const inputs = Array.from({ length: n }, (_, k) => text(sent * 3 + k));
        sent++;
        inFlight++;
        try {
          const res = await postJson(first.base, '/v1/predict', { inputs });
          if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${JSON.stringify(res.body)}`);
          for (const p of res.body.predictions) acked.set(p.id, p.label);
          if (sent % 5 === 0) {
            const id: string = res.body.predictions[0].id;
            const label = LABELS[sent % LABELS.length];
            const fb = await postJson(first.base, '/v1/feedback', { id, label });
            if (fb.status !== 200) throw new Error(`feedback answered ${fb.status}: ${JSON.stringify(fb.body)}`);
            feedback.set(id, label);
          }
          if (sent % 7 === 0) {
            const s = await getJson(`${first.base}/v1/monitor`);
            lastStatus = { observed: s.observed, window_counts: s.signals.labels.window_counts };
          }
        } catch (error) {
          if (killed) return; // the connection died with the server
          throw error;
        } finally {
          inFlight--;
        }
      }
    };

    const killer = (async () => {
      while (acked.size < KILL_AFTER && sent < MAX_REQUESTS) await new Promise((r) => setTimeout(r, 5));
      killed = true;
      inFlightAtKill = inFlight;
      first.process.kill('SIGKILL');
    })();
    await Promise.all([killer, ...Array.from({ length: CLIENTS }, (_, c) => client(c))]);
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(inFlightAtKill, 'requests in flight when the server was killed').toBeGreaterThan(0);
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(feedback.size).toBeGreaterThan(0);
    expect(lastStatus).not.toBeNull();

    // The database opens cleanly after the crash (its WAL is replayed) and passes integrity_check.
    expect(existsSync(statePath)).toBe(true);
    const store = openStateStore({ path: statePath });
    expect(store.integrityCheck()).toEqual(['ok']);
    store.close();

    // Restarted without --reference: the stored profile and window come back.
    const second = await startChild(cwd, { monitorWindow: WINDOW, expectedRunLength: null });
    try {
      for (const [id, label] of acked) {
        const res = await fetch(`${second.base}/v1/predictions/${id}`);
        expect(res.status, `prediction ${id}`).toBe(200);
        const entry: Json = await res.json();
        expect(entry.label).toBe(label);
        if (feedback.has(id)) expect(entry.feedback?.label, `feedback of ${id}`).toBe(feedback.get(id));
      }

      const s = await getJson(`${second.base}/v1/monitor`);
      const seen = lastStatus as unknown as { observed: number; window_counts: Record<string, number> };
      expect(s.observed).toBeGreaterThanOrEqual(Math.max(acked.size, seen.observed));
      expect(s.window).toBe(s.observed); // nothing left the window
      const perLabel: Record<string, number> = {};
      for (const label of acked.values()) perLabel[label] = (perLabel[label] ?? 0) + 1;
      for (const label of LABELS) {
        expect(s.signals.labels.window_counts[label], label).toBeGreaterThanOrEqual(perLabel[label] ?? 0);
        expect(s.signals.labels.window_counts[label], label).toBeGreaterThanOrEqual(seen.window_counts[label] ?? 0);
      }
      expect(s.labelled).toBeGreaterThanOrEqual(feedback.size);

      // It goes on serving and numbering where it stopped.
      const more = await postJson(second.base, '/v1/predict', { inputs: ['the train leaves at noon'] });
      expect(more.status).toBe(200);
      const after = await getJson(`${second.base}/v1/monitor`);
      expect(after.observed).toBe(s.observed + 1);
    } finally {
      second.process.kill('SIGTERM');
      await second.exited;
    }
  });
});

if (!sqlite) it.skip('no SQLite driver loads on this Node.js: skipping the crash-recovery test', () => undefined);
