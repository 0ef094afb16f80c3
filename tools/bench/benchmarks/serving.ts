/**
 * The bench model served through the API under concurrent loopback load, in the two shapes that
 * use 2 cores: one inference worker with every core as intra-op threads (the default) and two
 * workers with one thread each (`workers: 2`, threads by the default rule); and the default shape
 * with spinning intra-op threads (`spinning: true`), which the single-request latency bench also
 * measures, to show what spinning costs under load.
 */
import type { BenchResult, Benchmark } from '../bench-types.js';
import { num, withRange } from '../format.js';
import { createLoadClient, type LoadClient } from '../http-load.js';
import { quantile, spread } from '../measure.js';
import { benchModel } from '../models.js';
import { predictBodies, startServer, type StartedServer } from '../api-server.js';

const CLIENTS = 16;

interface Shape {
  key: string;
  label: string;
  workers: number;
  spinning?: boolean;
}

const SHAPES: readonly Shape[] = [
  { key: 'w1', label: '1 worker x os.availableParallelism() threads (the default)', workers: 1 },
  { key: 'w2', label: '2 workers x 1 thread (`workers: 2`)', workers: 2 },
  { key: 'w1spin', label: '1 worker x os.availableParallelism() threads, spinning (`spinning: true`)', workers: 1, spinning: true },
];

async function round(client: LoadClient, s: StartedServer, bodies: readonly string[], requests: number) {
  const before = s.server.stats().batcher;
  const result = await client.run({ base: s.base, path: '/v1/predict', bodies, requests, concurrency: CLIENTS });
  const after = s.server.stats().batcher;
  return { ...result, items: after.items - before.items, batches: after.batches - before.batches };
}

export const serving: Benchmark = {
  name: 'serving',
  title: 'API under concurrent load, bench model: worker shapes',
  peer: 'the default shape (one worker with every core)',
  texts: { full: 600, quick: 64 },
  async run(context): Promise<BenchResult> {
    const { quick } = context.settings;
    const model = benchModel(context.repoRoot);
    const texts = context.texts.texts.slice(0, quick ? serving.texts.quick : serving.texts.full);
    const bodies = predictBodies(texts);
    const requests = texts.length;
    const repetitions = quick ? 2 : 4;
    const errors: unknown[] = [];
    const client = createLoadClient();
    const servers = new Map<string, StartedServer>();
    try {
      for (const shape of SHAPES) servers.set(shape.key, await startServer({ modelDir: model.dir, workers: shape.workers, spinning: shape.spinning ?? false }, errors));
      const measured = new Map(SHAPES.map((s) => [s.key, { rates: [] as number[], latencies: [] as number[], items: 0, batches: 0 }]));
      for (const shape of SHAPES) await round(client, servers.get(shape.key) as StartedServer, bodies, CLIENTS * 2);
      context.progress(`serving: ${repetitions} rounds x ${requests} requests x ${SHAPES.length} shapes, ${CLIENTS} clients`);
      for (let i = 0; i < repetitions; i++) {
        for (const shape of SHAPES) {
          const r = await round(client, servers.get(shape.key) as StartedServer, bodies, requests);
          const m = measured.get(shape.key);
          if (!m) continue;
          m.rates.push((requests * 1000) / r.milliseconds);
          m.latencies.push(...r.latencies);
          m.items += r.items;
          m.batches += r.batches;
        }
      }
      if (errors.length > 0) throw new Error(`a server reported ${errors.length} error(s); first: ${String(errors[0])}`);
      const metrics: Record<string, number> = {};
      const rows = SHAPES.map((shape) => {
        const m = measured.get(shape.key) as { rates: number[]; latencies: number[]; items: number; batches: number };
        const latencies = [...m.latencies].sort((a, b) => a - b);
        const rate = spread(m.rates);
        metrics[`bench.serving.${shape.key}.texts_per_s`] = rate.median;
        metrics[`bench.serving.${shape.key}.p50_ms`] = quantile(latencies, 0.5);
        return [shape.label, withRange(rate), num(quantile(latencies, 0.5)), num(quantile(latencies, 0.95)), num(m.items / m.batches)];
      });
      const ratio = metrics['bench.serving.w2.texts_per_s'] / metrics['bench.serving.w1.texts_per_s'];
      return {
        notes: [
          `Server: \`createApiServer\` serving \`${model.dir}\` (fp32), micro-batching at its defaults, no reference profile, on 127.0.0.1; both shapes started side by side.`,
          `Load: ${CLIENTS} closed-loop keep-alive clients in a worker thread of this process, one text per POST /v1/predict, cycling through the first ${texts.length} texts of the pool; ${CLIENTS * 2} warm-up requests per shape, then ${repetitions} rounds of ${requests} requests, interleaved.`,
        ],
        table: { columns: ['shape', 'texts/s', 'p50 ms', 'p95 ms', 'texts per forward pass'], rows },
        findings: [`Two workers x 1 thread: ${ratio.toFixed(2)}x the default shape's texts/s in this run.`],
        metrics,
      };
    } finally {
      await client.close();
      await Promise.all([...servers.values()].map((s) => s.server.close()));
    }
  },
};
