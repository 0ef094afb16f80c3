/**
 * Where a batched forward pass of the bench model spends its time: ONNX Runtime's own profiler
 * on the bare session over the 64-token set (fp32, and int8 when the bundle has it), summarised
 * by operator type. This is the profile BENCHMARKS.md points to where GFLOP/s fall short of the
 * matmul peak.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInferenceEngine, createOnnxSession, loadModelBundle, type ModelVariant } from '@glassbox/core';
import type { BenchResult, Benchmark } from '../bench-types.js';
import { num } from '../format.js';
import { benchModel } from '../models.js';
import { opTimes, type OpTime, type TraceEvent } from '../profile.js';
import { prepareBatches } from '../runners.js';
import { fixedLengthTexts } from './text-sets.js';

const TOKENS = 64;

export const opProfile: Benchmark = {
  name: 'op-profile',
  title: 'Operator profile of a batched forward pass, bench model, 64 tokens',
  peer: 'none: a diagnosis of the floor itself',
  texts: { full: 64, quick: 32 },
  async run(context): Promise<BenchResult> {
    const model = benchModel(context.repoRoot);
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-bench-profile-'));
    const profiles = new Map<string, OpTime[]>();
    const metrics: Record<string, number> = {};
    try {
      const engine = await createInferenceEngine(model.dir);
      let batches;
      try {
        const texts = await fixedLengthTexts(engine, context.texts.texts, TOKENS, context.settings.quick ? opProfile.texts.quick : opProfile.texts.full);
        batches = prepareBatches(await engine.encode(texts), engine.tokenizer.padId, model.shape);
      } finally {
        await engine.dispose();
      }
      const variants: ModelVariant[] = model.hasQuantized ? ['fp32', 'quantized'] : ['fp32'];
      for (const variant of variants) {
        const tag = variant === 'fp32' ? 'fp32' : 'int8';
        const prefix = join(dir, tag);
        const session = await createOnnxSession(loadModelBundle(model.dir, { variant }).modelPath, { intraOpThreads: availableParallelism(), profilePrefix: prefix });
        try {
          await session.run(batches.feeds[0], ['logits']);
          for (const feeds of batches.feeds) await session.run(feeds, ['logits']);
          session.endProfiling?.();
        } finally {
          await session.dispose();
        }
        const file = readdirSync(dir).find((f) => f.startsWith(tag) && f.endsWith('.json'));
        if (file === undefined) throw new Error(`ONNX Runtime wrote no profile for ${tag}`);
        const ops = opTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as TraceEvent[]);
        profiles.set(tag, ops);
        for (const o of ops) metrics[`bench.profile64.${tag}.${o.op}`] = o.share;
      }
      const opNames = [...new Set([...profiles.values()].flatMap((ops) => ops.slice(0, 8).map((o) => o.op)))];
      const rows = opNames.map((op) => [op, ...[...profiles.keys()].map((tag) => {
        const o = profiles.get(tag)?.find((x) => x.op === op);
        return o ? `${num(100 * o.share, 3)}% (${num(o.micros / 1000)} ms)` : '–';
      })]);
      return {
        notes: [
          `Bare session (os.availableParallelism() intra-op threads, graph optimisation 'all') with ONNX Runtime's profiler on, over the ${TOKENS}-token set in sorted batches of 32 (one untimed batch first); the table sums each operator type's kernel time over all runs. Operator names are after ONNX Runtime's fusions (for example FusedMatMul, Gelu, SkipLayerNormalization, and for int8 DynamicQuantizeMatMul / MatMulInteger).`,
        ],
        table: { columns: ['operator', ...[...profiles.keys()].map((t) => `${t} share of kernel time`)], rows },
        findings: [],
        metrics,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
