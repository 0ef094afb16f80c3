// Test helper: `glassbox serve` in-process on a free loopback port, with the environment and the
// signal handlers it touches restored after each test and every server closed.
import { PassThrough } from 'node:stream';
import type { ApiServer } from '@glassbox/api';
import { afterEach, beforeEach } from 'vitest';
import { serveCommand, type ServeFlags } from './commands/serve.js';

const ENV = ['GLASSBOX_API_KEY', 'GLASSBOX_API_KEY_FILE', 'GLASSBOX_MODEL', 'HOST', 'PORT'] as const;

/** Registers the hooks; returns serve(flags), which resolves with the base URL and the start-up log. */
export function useServe(): (flags: ServeFlags) => Promise<{ base: string; log: string; server: ApiServer }> {
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

  return async (flags) => {
    const out = new PassThrough();
    let log = '';
    out.on('data', (c: Buffer) => (log += c.toString()));
    const server = await serveCommand({ port: 0, host: '127.0.0.1', workers: 1, state: ':memory:', ...flags }, out);
    servers.push(server);
    const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
    if (!m) throw new Error(`no address in the log: ${log}`);
    return { base: m[1], log, server };
  };
}
