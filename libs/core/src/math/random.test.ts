import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from './random.js';
import { GlassboxError } from '../errors.js';

/** The generator as published (Tommy Ettinger), to check ours is the same stream. */
function reference(a: number): () => number {
  return () => {
    let t = (a += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('mulberry32', () => {
  it('produces the published generator stream for several seeds', () => {
    for (const seed of [0, 1, 42, 0xdeadbeef]) {
      const ours = mulberry32(seed);
      const theirs = reference(seed);
      const mismatches = Array.from({ length: 1000 }, () => ours() - theirs()).filter((d) => d !== 0);
      expect(mismatches).toEqual([]);
    }
  });

  it('is deterministic per seed, differs across seeds, stays in [0, 1) with mean near 1/2', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    let sum = 0;
    let same = 0;
    let differ = 0;
    let inRange = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = a();
      if (x === b()) same++;
      if (x !== c()) differ++;
      if (x >= 0 && x < 1) inRange++;
      sum += x;
    }
    expect(same).toBe(n);
    expect(inRange).toBe(n);
    expect(differ).toBeGreaterThan(n - 10);
    expect(sum / n).toBeCloseTo(0.5, 2);
  });

  it('draws integers in [0, n) covering every value', () => {
    const rng = mulberry32(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(randomInt(rng, 5));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects a non-integer seed', () => {
    expect(() => mulberry32(0.5)).toThrow(GlassboxError);
    expect(() => mulberry32(0.5)).toThrow(/seed must be an integer/);
  });
});
