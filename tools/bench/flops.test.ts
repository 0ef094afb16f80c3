import { describe, expect, it } from 'vitest';
import { encoderFlops, gflopsPerSecond, matmulFlops, shapeOfConfig } from './flops.js';

describe('encoderFlops', () => {
  it('counts DistilRoBERTa at 64 tokens as about 5.5 GFLOP per sequence', () => {
    const shape = { layers: 6, hidden: 768, ffn: 3072 };
    // per layer and token: 8·768² + 4·768·3072 + 4·64·768 = 4,718,592 + 9,437,184 + 196,608
    expect(encoderFlops(shape, 1, 64)).toBe(6 * 64 * (4_718_592 + 9_437_184 + 196_608));
  });

  it('grows linearly in the batch and faster than linearly in the sequence (attention)', () => {
    const shape = { layers: 2, hidden: 128, ffn: 512 };
    expect(encoderFlops(shape, 8, 32)).toBe(8 * encoderFlops(shape, 1, 32));
    expect(encoderFlops(shape, 1, 64)).toBeGreaterThan(2 * encoderFlops(shape, 1, 32));
  });
});

describe('matmulFlops and gflopsPerSecond', () => {
  it('gives 2mkn FLOPs and converts FLOPs per millisecond to GFLOP/s', () => {
    expect(matmulFlops(2, 3, 4)).toBe(48);
    expect(gflopsPerSecond(5e9, 20)).toBe(250);
  });
});

describe('shapeOfConfig', () => {
  it('reads the Hugging Face keys and refuses a config without them', () => {
    expect(shapeOfConfig({ num_hidden_layers: 6, hidden_size: 768, intermediate_size: 3072 })).toEqual({ layers: 6, hidden: 768, ffn: 3072 });
    expect(() => shapeOfConfig({ num_hidden_layers: 6, hidden_size: 768 })).toThrow(/intermediate_size/);
  });
});
