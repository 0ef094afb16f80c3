/**
 * HTTP serving under concurrent load on loopback: `createApiServer`'s /v1/predict with
 * micro-batching (the defaults, and without the wait) against the same server with
 * micro-batching off (maxBatchSize 1), at 16 clients and at 64; and the batched server with its
 * SQLite state database against it without one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApiServer, type ApiServer, type ApiServerOptions } from '@glassbox/api';
import type { BenchContext, BenchResult, Benchmark } from '../bench-types.js';
import { num, ratio, withRange } from '../format.js';
import { createLoadClient, type LoadClient } from '../http-load.js';
import { quantile, spread } from '../measure.js';
import { servedModelDir } from '../models.js';

/** Concurrent clients of the main comparison, and of the heavier load that fills batches. */
const CLIENTS = 16;
const HEAVY_CLIENTS = 64;
/** Inference worker threads per server (the server's default). */
const WORKERS = 1;

type ServerKey = 'off' | 'on' | 'wait' | 'state';

/** Server configurations, each started once. */
const SERVERS: Record<ServerKey, Partial<ApiServerOptions>> = {
  off: { maxBatchSize: 1 },
  on: { maxBatchSize: 32, maxWaitMs: 0 },
  wait: { maxBatchSize: 32, maxWaitMs: 5 },
  state: { maxBatchSize: 32, maxWaitMs: 0 },
};

/** One row: a server under a number of clients, and the row it is compared with. */
interface LoadCase {
  id: string;
  label: string;
  server: ServerKey;
  clients: number;
  /** Id of the row it is compared with (null: a peer itself). */
  peer: string | null;
  /** How the ratio column names that peer. */
  peerName?: string;
}

const OFF = 'micro-batching off (maxBatchSize 1)';
const ON = 'micro-batching on (maxBatchSize 32, maxWaitMs 0: the defaults)';

const CASES: readonly LoadCase[] = [
  { id: 'off', label: OFF, server: 'off', clients: CLIENTS, peer: null },
  { id: 'on', label: ON, server: 'on', clients: CLIENTS, peer: 'off', peerName: 'off' },
  { id: 'wait', label: 'micro-batching on, maxWaitMs 5 (an idle model waits for company)', server: 'wait', clients: CLIENTS, peer: 'off', peerName: 'off' },
  { id: 'state', label: 'micro-batching on (defaults) + SQLite state database', server: 'state', clients: CLIENTS, peer: 'on', peerName: 'on, in memory' },
  { id: 'heavy-off', label: OFF, server: 'off', clients: HEAVY_CLIENTS, peer: null },
  { id: 'heavy-on', label: ON, server: 'on', clients: HEAVY_CLIENTS, peer: 'heavy-off', peerName: `off, ${HEAVY_CLIENTS} clients` },
];

/** What a row's timed rounds measured. */
interface Measured {
  milliseconds: number[];
  latencies: number[];
  /** Process CPU time (all threads, load generator included) per round, in milliseconds. */
  cpuMilliseconds: number[];
  /** Share of each round the main thread's event loop (express, the pipeline) was busy. */
  eventLoop: number[];
  items: number;
  batches: number;
}

interface StartedServer {
  server: ApiServer;
  base: string;
}

async function start(key: ServerKey, modelDir: string, stateDir: string, errors: unknown[]): Promise<StartedServer> {
  const server = await createApiServer({
    modelDir,
    workers: WORKERS,
    ...SERVERS[key],
    ...(key === 'state' && { statePath: join(stateDir, 'state.db') }),
    log: { write: () => true },
    onError: (error) => errors.push(error),
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, base: `http://127.0.0.1:${port}` };
}

/** One round of `requests` requests from `clients` clients; with `into`, what it measured is added there. */
async function load(client: LoadClient, s: StartedServer, clients: number, bodies: readonly string[], requests: number, into?: Measured): Promise<void> {
  const before = s.server.stats().batcher;
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  const result = await client.run({ base: s.base, path: '/v1/predict', bodies, requests, concurrency: clients });
  if (into === undefined) return;
  const used = process.cpuUsage(cpu);
  into.eventLoop.push(performance.eventLoopUtilization(loop).utilization);
  const after = s.server.stats().batcher;
  into.milliseconds.push(result.milliseconds);
  into.latencies.push(...result.latencies);
  into.cpuMilliseconds.push((used.user + used.system) / 1000);
  into.items += after.items - before.items;
  into.batches += after.batches - before.batches;
}

/** Requests/s per round. */
function rates(m: Measured, requests: number): number[] {
  return m.milliseconds.map((ms) => (requests * 1000) / ms);
}

function row(c: LoadCase, m: Measured, requests: number, peerRate: (id: string) => number): string[] {
  const latencies = [...m.latencies].sort((a, b) => a - b);
  const rate = spread(rates(m, requests));
  const cores = spread(m.cpuMilliseconds.map((cpu, i) => cpu / m.milliseconds[i])).median;
  const loop = spread(m.eventLoop).median;
  const vs = c.peer === null ? ratio(1, true) : `${ratio(rate.median / peerRate(c.peer))} vs ${c.peerName}`;
  return [c.label, String(c.clients), withRange(rate), num(quantile(latencies, 0.5)), num(quantile(latencies, 0.95)), num(m.items / m.batches), num(cores, 2), `${Math.round(loop * 100)}%`, vs];
}

async function run(context: BenchContext): Promise<BenchResult> {
  const { quick } = context.settings;
  const requests = quick ? 300 : 2000;
  const warmup = quick ? 50 : 200;
  const repetitions = quick ? 2 : 6;
  const texts = context.texts.texts.slice(0, quick ? httpServing.texts.quick : httpServing.texts.full);
  const bodies = texts.map((text) => JSON.stringify({ inputs: text }));
  const stateDir = mkdtempSync(join(tmpdir(), 'glassbox-bench-state-'));
  const errors: unknown[] = [];
  const servers = new Map<ServerKey, StartedServer>();
  const client = createLoadClient();
  try {
    for (const key of Object.keys(SERVERS) as ServerKey[]) servers.set(key, await start(key, servedModelDir(context.repoRoot), stateDir, errors));
    const serverOf = (c: LoadCase) => servers.get(c.server) as StartedServer;
    const measured = new Map<string, Measured>(CASES.map((c) => [c.id, { milliseconds: [], latencies: [], cpuMilliseconds: [], eventLoop: [], items: 0, batches: 0 }]));
    for (const c of CASES) await load(client, serverOf(c), c.clients, bodies, warmup);
    context.progress(`http-serving: ${repetitions} rounds x ${requests} requests x ${CASES.length} cases`);
    for (let i = 0; i < repetitions; i++) {
      for (const c of CASES) await load(client, serverOf(c), c.clients, bodies, requests, measured.get(c.id));
    }
    if (errors.length > 0) throw new Error(`a server reported ${errors.length} error(s); first: ${String(errors[0])}`);
    const rateOf = (id: string) => spread(rates(measured.get(id) as Measured, requests)).median;
    const extraMicros = 1e6 / rateOf('state') - 1e6 / rateOf('on');
    return {
      notes: [
        `Server: \`createApiServer\` from \`@glassbox/api\` serving \`models/emotion-mini\` (the default bundle of \`glassbox serve\`) with ${WORKERS} inference worker thread (the default; intra-op threads: the default, os.availableParallelism() divided among the workers; no spinning), no reference profile, listening on 127.0.0.1. One server per configuration, all started side by side.`,
        `Load: closed-loop clients in a worker thread of the same process (node:http, keep-alive), each POSTing \`/v1/predict\` with one text and sending its next request when the answer arrives; texts cycle through the first ${texts.length} of the pool. ${CLIENTS} clients for the main comparison; ${HEAVY_CLIENTS} clients, enough to fill batches of 32, for the last two rows.`,
        `${warmup} warm-up requests per row, then ${repetitions} timed rounds of ${requests} requests per row, interleaved. Requests/s: median (min–max) over rounds; p50/p95 over all timed requests; texts per forward pass from the server's micro-batcher counters; CPU: process CPU time over wall time (all threads, load generator included; 2.0 would be both cores busy); event loop busy: the main thread's event-loop utilisation (express, validation, tokenizing, the pipeline), median over rounds.`,
        `The state database (\`statePath\`, WAL, durability 'normal') lies in the system's temp directory; every prediction's audit row is committed before its response is sent.`,
      ],
      table: {
        columns: ['server', 'clients', 'requests/s', 'p50 ms', 'p95 ms', 'texts per forward pass', 'CPU (cores)', 'event loop busy', 'ratio'],
        rows: CASES.map((c) => row(c, measured.get(c.id) as Measured, requests, rateOf)),
      },
      findings: [
        `Micro-batching with the defaults, ${CLIENTS} clients: ${ratio(rateOf('on') / rateOf('off'))} the requests/s of the same server with it off; with maxWaitMs 5: ${ratio(rateOf('wait') / rateOf('off'))}; with the defaults and ${HEAVY_CLIENTS} clients: ${ratio(rateOf('heavy-on') / rateOf('heavy-off'))}.`,
        `State database: ${ratio(rateOf('state') / rateOf('on'))} the requests/s of the in-memory server, ${num(Math.abs(extraMicros))} µs ${extraMicros >= 0 ? 'more' : 'less'} per request (from the medians).`,
      ],
    };
  } finally {
    await client.close();
    await Promise.all([...servers.values()].map((s) => s.server.close()));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export const httpServing: Benchmark = {
  name: 'http-serving',
  title: 'HTTP serving under concurrent load (loopback)',
  peer: 'the same server with micro-batching off (maxBatchSize 1)',
  texts: { full: 512, quick: 128 },
  run,
};
