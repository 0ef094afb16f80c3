import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';
import { serveCommand } from './commands/serve.js';
import { loadOptionsFromFlags, type LoadFlags } from './commands/serve-load-flags.js';

/** The flags commander hands to `glassbox serve`, without starting it. */
async function serveFlags(...argv: string[]): Promise<LoadFlags> {
  const io = { stdout: new PassThrough(), stderr: new PassThrough() };
  const program = buildProgram(io).exitOverride();
  const serve = program.commands.find((c) => c.name() === 'serve');
  let captured: LoadFlags = {};
  serve?.exitOverride().action((flags: LoadFlags) => {
    captured = flags;
  });
  await program.parseAsync(['node', 'glassbox', 'serve', ...argv]);
  return captured;
}

describe('glassbox serve: load flags', () => {
  it('maps --rate-limit, --rate-burst and the queue and budget flags to server options', async () => {
    const flags = await serveFlags(
      '--rate-limit', '2.5', '--rate-burst', '4', '--max-inputs', '16', '--max-request-tokens', '2048',
      '--max-queued-texts', '64', '--max-queued-tokens', '4096', '--max-explain-units', '100',
      '--max-explain-forward-passes', '50', '--max-concurrent-explanations', '2', '--max-queued-explanations', '3',
    );
    expect(loadOptionsFromFlags(flags)).toEqual({
      rateLimit: { requestsPerSecond: 2.5, burst: 4 },
      maxInputs: 16,
      maxRequestTokens: 2048,
      maxQueuedTexts: 64,
      maxQueuedTokens: 4096,
      maxExplainUnits: 100,
      maxExplainForwardPasses: 50,
      maxConcurrentExplanations: 2,
      maxQueuedExplanations: 3,
    });
    expect(loadOptionsFromFlags(await serveFlags())).toEqual({});
  });

  it('flags win over the config file; a burst needs a rate', async () => {
    const file = { rateLimit: { requestsPerSecond: 10, burst: 20 }, maxQueuedTexts: 500 };
    expect(loadOptionsFromFlags({ rateBurst: 5 }, file)).toEqual({ rateLimit: { requestsPerSecond: 10, burst: 5 } });
    expect(loadOptionsFromFlags({ rateLimit: 1 }, file)).toEqual({ rateLimit: { requestsPerSecond: 1 } });
    expect(() => loadOptionsFromFlags({ rateBurst: 5 })).toThrow(/--rate-burst needs --rate-limit/);
    await expect(serveFlags('--rate-limit', '0')).rejects.toThrow(/--rate-limit/);
    await expect(serveFlags('--max-queued-texts', 'many')).rejects.toThrow(/--max-queued-texts/);
  });

  it('a server started with --rate-limit 0.01 --rate-burst 2 answers 429 with Retry-After on the third request', async () => {
    const signals = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    const log = new PassThrough();
    let logged = '';
    log.on('data', (c: Buffer) => (logged += c.toString()));
    const server = await serveCommand({ port: 0, host: '127.0.0.1', rateLimit: 0.01, rateBurst: 2, maxQueuedTexts: 100 }, log);
    try {
      const base = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(logged)?.[1];
      expect(base).toBeDefined();
      const predict = () => fetch(`${base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":"so happy"}' });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await predict());
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(Number(statuses[2].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(server.stats().batcher.maxQueued).toBe(100);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^glassbox_requests_shed_total\{[^}]*reason="rate_limited"[^}]*\} 1$/m);
    } finally {
      await server.close();
      for (const name of ['SIGINT', 'SIGTERM'] as const) {
        for (const l of process.listeners(name)) if (!signals[name].includes(l)) process.removeListener(name, l);
      }
    }
  }, 60_000);
});
