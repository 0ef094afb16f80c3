/**
 * Floating-point work of a forward pass, counted the way GFLOP/s figures usually are: 2 FLOPs per
 * multiply-add, matrix products only (layer norms, softmax, GELU and the classifier head are a
 * fraction of a percent at these sizes).
 */

/** The shape of a BERT/RoBERTa encoder, as config.json gives it. */
export interface EncoderShape {
  layers: number;
  hidden: number;
  ffn: number;
}

/**
 * FLOPs of one forward pass over a padded [batch x seqLen] input: per layer and token, the four
 * attention projections (8 h²), the feed-forward pair (4 h f) and the two attention products
 * (QKᵀ and PV, 4 S h). Padding counts: it is work the CPU does.
 */
export function encoderFlops(shape: EncoderShape, batch: number, seqLen: number): number {
  const perToken = 8 * shape.hidden ** 2 + 4 * shape.hidden * shape.ffn + 4 * seqLen * shape.hidden;
  return shape.layers * perToken * batch * seqLen;
}

/** FLOPs of an [m x k] by [k x n] matrix product. */
export function matmulFlops(m: number, k: number, n: number): number {
  return 2 * m * k * n;
}

/** GFLOP/s from FLOPs and milliseconds. */
export function gflopsPerSecond(flops: number, milliseconds: number): number {
  return flops / milliseconds / 1e6;
}

/** The encoder shape in a config.json object (Hugging Face key names); throws when one is missing. */
export function shapeOfConfig(config: Record<string, unknown>): EncoderShape {
  const read = (key: string) => {
    const value = config[key];
    if (typeof value !== 'number' || !(value > 0)) throw new Error(`config.json has no positive number ${key}`);
    return value;
  };
  return { layers: read('num_hidden_layers'), hidden: read('hidden_size'), ffn: read('intermediate_size') };
}
