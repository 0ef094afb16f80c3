import { GlassboxError } from '../errors.js';

/**
 * Mulberry32: a tiny, fast 32-bit seeded PRNG (Tommy Ettinger's public-domain generator).
 * Returns a function yielding floats uniform in [0, 1); the same seed gives the same stream.
 */
export function mulberry32(seed: number): () => number {
  if (!Number.isInteger(seed)) {
    throw new GlassboxError('INVALID_OPTION', `seed must be an integer (got ${seed}).`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n) drawn from `rng`. */
export function randomInt(rng: () => number, n: number): number {
  return Math.floor(rng() * n);
}
