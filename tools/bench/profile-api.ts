import { performance } from 'node:perf_hooks';
import { createInferenceEngine, loadModelBundle } from '@glassbox/core';
import { createLoadClient } from './http-load.js';
import { interleave, quantile, type Contender } from './measure.js';
import { benchModel, miniModel } from './models.js';
import { bareSession, prepareBatches } from './runners.js';
import { predictBodies, startServer } from './api-server.js';
import { fixedLengthTexts } from './benchmarks/text-sets.js';
import { loadBenchTexts } from './texts.js';

const which = process.argv[2] ?? 'bench';
const model = which === 'mini' ? miniModel(process.cwd()) : benchModel(process.cwd());
const texts0 = loadBenchTexts(process.cwd(), 400).texts;
const calls = new Map<string, number[]>();
const contenders: Contender[] = [];
function seq(label: string, fns: Array<() => Promise<unknown>>) {
  calls.set(label, []);
  contenders.push({ label, async run() { for (const f of fns) { const s = performance.now(); await f(); calls.get(label)!.push(performance.now() - s); } } });
}
const engine = await createInferenceEngine(model.dir, {});
const texts = await fixedLengthTexts(engine, texts0, 32, 16);
const session = await bareSession(loadModelBundle(model.dir).modelPath);
const enc = await engine.encode(texts);
const singles = enc.map((e) => prepareBatches([e], engine.tokenizer.padId, model.shape, 1).feeds[0]);
seq('bare', singles.map((f) => () => session.run(f, ['logits'])));
seq('engine w0 spin', texts.map((t) => () => engine.classify(t)));
const w1 = await createInferenceEngine(model.dir, { workers: 1, spinning: false });
seq('engine w1 nospin', texts.map((t) => () => w1.classify(t)));
const w1s = await createInferenceEngine(model.dir, { workers: 1, spinning: true });
seq('engine w1 spin', texts.map((t) => () => w1s.classify(t)));
seq('tokenize', texts.map((t) => () => engine.encode([t])));
const errors: unknown[] = [];
const served = await startServer({ modelDir: model.dir, variant: 'fp32' }, errors);
const client = createLoadClient();
const bodies = predictBodies(texts);
for (const [label, path, b] of [['http predict', '/v1/predict', bodies]] as const) {
  calls.set(label, []);
  contenders.push({ label, async run() {
    const r = await client.run({ base: served.base, path, bodies: b ?? texts.map(() => ''), requests: texts.length, concurrency: 1, ...(b ? {} : { method: 'GET' }) } as never);
    calls.get(label)!.push(...r.latencies);
  } });
}
await interleave(contenders, { warmup: 1, repetitions: Number(process.argv[3] ?? 4) });
for (const [k, v] of calls) {
  const t = v.slice(texts.length).sort((a, b) => a - b);
  console.log(k.padEnd(20), 'p50', quantile(t, 0.5).toFixed(3), 'p10', quantile(t, 0.1).toFixed(3), 'p90', quantile(t, 0.9).toFixed(3));
}
console.log('errors', errors.length, errors[0]);
await client.close(); await served.server.close(); await engine.dispose(); await w1.dispose(); await w1s.dispose(); await session.dispose();
const log = ((globalThis as any).__log ?? []) as Array<Array<[string, number]>>;
const steps = new Map<string, number[]>();
for (const t of log.slice(-texts.length * 3)) for (let i = 1; i < t.length; i++) { const k = `${t[i - 1][0]}->${t[i][0]}`; if (!steps.has(k)) steps.set(k, []); steps.get(k)!.push(t[i][1] - t[i - 1][1]); }
for (const [k, v] of steps) { v.sort((a, b) => a - b); console.log(k.padEnd(28), 'p50', quantile(v, 0.5).toFixed(3), 'p10', quantile(v, 0.1).toFixed(3), 'n', v.length); }
