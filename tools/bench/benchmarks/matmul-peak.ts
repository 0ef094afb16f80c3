/**
 * The matmul peak of this CPU as ONNX Runtime reaches it: a graph of the two feed-forward products
 * of a DistilRoBERTa layer ([2048 x 768] x [768 x 3072], then x [3072 x 768]; 2048 rows = 32
 * sequences of 64 tokens), fp32, through the same session settings as the bare floor. Batched
 * inference's GFLOP/s are compared with it (matmul_peak_fraction).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import type { BenchResult, Benchmark } from '../bench-types.js';
import { gflopsPerSecond, matmulFlops } from '../flops.js';
import { num, withRange } from '../format.js';
import { interleave, spread } from '../measure.js';
import { bareSession } from '../runners.js';

const proto: typeof onnx = onnxProto.onnx;
const ROWS = 2048;
const HIDDEN = 768;
const FFN = 3072;

/** Seeded weights in [-0.05, 0.05). */
function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) / 10;
  }
  return out;
}

/** Model bytes: Y = (X · W1) · W2, X [rows x hidden]. */
export function matmulModel(rows: number, hidden: number, ffn: number): Uint8Array {
  const FLOAT = proto.TensorProto.DataType.FLOAT;
  const initializer = (name: string, dims: number[], seed: number) =>
    proto.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(weights(dims[0] * dims[1], seed).buffer) });
  const value = (name: string, dims: number[]) =>
    proto.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const graph = proto.GraphProto.create({
    name: 'matmul-peak',
    node: [
      proto.NodeProto.create({ opType: 'MatMul', input: ['x', 'w1'], output: ['h'] }),
      proto.NodeProto.create({ opType: 'MatMul', input: ['h', 'w2'], output: ['y'] }),
    ],
    initializer: [initializer('w1', [hidden, ffn], 1), initializer('w2', [ffn, hidden], 2)],
    input: [value('x', [rows, hidden])],
    output: [value('y', [rows, hidden])],
  });
  return proto.ModelProto.encode(proto.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 14 }], graph })).finish();
}

export const matmulPeak: Benchmark = {
  name: 'matmul-peak',
  title: 'Matmul peak of this CPU (ONNX Runtime, fp32)',
  peer: 'none: the ceiling batched inference is compared with',
  texts: { full: 0, quick: 0 },
  async run(context): Promise<BenchResult> {
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-bench-matmul-'));
    const path = join(dir, 'matmul.onnx');
    writeFileSync(path, matmulModel(ROWS, HIDDEN, FFN));
    const session = await bareSession(path);
    try {
      const feeds = { x: { data: weights(ROWS * HIDDEN, 3), dims: [ROWS, HIDDEN] } };
      const repetitions = context.settings.quick ? 8 : 20;
      const times = await interleave([{ label: 'matmul', run: () => session.run(feeds) }], { warmup: 2, repetitions });
      const flops = 2 * matmulFlops(ROWS, HIDDEN, FFN);
      const ms = times.get('matmul') ?? [];
      const rate = spread(ms.map((t) => gflopsPerSecond(flops, t)));
      return {
        notes: [
          `Graph: two MatMul nodes, [${ROWS} x ${HIDDEN}] x [${HIDDEN} x ${FFN}] x [${FFN} x ${HIDDEN}] (${num(flops / 1e9)} GFLOP per run), built with onnx-proto in the temp directory; a session with os.availableParallelism() intra-op threads.`,
          `2 warm-up runs, ${repetitions} timed. The median is the peak the fraction uses (the best run is shown beside it).`,
        ],
        table: { columns: ['what', 'GFLOP/s median (min–max)', 'best'], rows: [['fp32 MatMul pair', withRange(rate), num(rate.max)]] },
        findings: [],
        metrics: { 'matmul.peak_gflops': rate.median, 'matmul.best_gflops': rate.max },
      };
    } finally {
      await session.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
