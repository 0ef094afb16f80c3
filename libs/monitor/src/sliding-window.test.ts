import { mulberry32 } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { createCountWindow, createTimeWindow } from './sliding-window.js';

describe('createCountWindow', () => {
  it('keeps the counts of the last `size` observations', () => {
    const w = createCountWindow({ size: 3, bins: [4, 2] });
    w.add([0, 1]);
    w.add([1, 1]);
    w.add([1, 0]);
    expect(Array.from(w.counts(0))).toEqual([1, 2, 0, 0]);
    w.add([3, 0]); // evicts [0, 1]
    expect(w.length).toBe(3);
    expect(w.added).toBe(4);
    expect(Array.from(w.counts(0))).toEqual([0, 2, 0, 1]);
    expect(Array.from(w.counts(1))).toEqual([2, 1]);
  });

  it('matches a brute-force recount over a long random stream', () => {
    const rng = mulberry32(5);
    const size = 37;
    const w = createCountWindow({ size, bins: [12, 7], values: 1 });
    const history: Array<[number, number, number]> = [];
    for (let i = 0; i < 1000; i++) {
      const obs: [number, number, number] = [Math.floor(rng() * 12), Math.floor(rng() * 7), rng()];
      history.push(obs);
      w.add([obs[0], obs[1]], [obs[2]]);
      if (i % 97 === 0 || i === 999) {
        const inside = history.slice(-size);
        const expected = new Array(12).fill(0);
        for (const [b] of inside) expected[b]++;
        expect(Array.from(w.counts(0))).toEqual(expected);
        expect(w.sum(0)).toBeCloseTo(inside.reduce((a, o) => a + o[2], 0), 9);
      }
    }
  });

  it('addresses observations by sequence number while they are inside', () => {
    const w = createCountWindow({ size: 2, bins: [3], values: 2 });
    const a = w.add([2], [0.9, 0]);
    const b = w.add([1], [0.6, 0]);
    expect(w.bucketOf(a, 0)).toBe(2);
    expect(w.setValue(b, 1, 1)).toBe(true);
    expect(w.sum(1)).toBe(1);
    w.add([0], [0.5, 0]); // evicts a
    expect(w.has(a)).toBe(false);
    expect(w.bucketOf(a, 0)).toBe(-1);
    expect(w.valueOf(a, 0)).toBeNaN();
    expect(w.setValue(a, 1, 1)).toBe(false);
    expect(w.valueOf(b, 1)).toBe(1);
    expect(w.sum(0)).toBeCloseTo(1.1, 12);
  });

  it('clears', () => {
    const w = createCountWindow({ size: 2, bins: [3], values: 1 });
    w.add([1], [0.5]);
    w.clear();
    expect(w.length).toBe(0);
    expect(Array.from(w.counts(0))).toEqual([0, 0, 0]);
    expect(w.sum(0)).toBe(0);
  });

  it('rejects bad options and out-of-range observations with coded errors', () => {
    expect(() => createCountWindow({ size: 0, bins: [3] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => createCountWindow({ size: 5, bins: [] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    const w = createCountWindow({ size: 5, bins: [3] });
    expect(() => w.add([3])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => w.add([0, 0])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => w.add([0.5])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('createTimeWindow', () => {
  it('evicts observations older than `ms` on the injected clock', () => {
    let now = 0;
    const w = createTimeWindow({ ms: 1000, bins: [2], values: 1, now: () => now });
    w.add([0], [1]);
    now = 400;
    w.add([1], [2]);
    now = 999;
    expect(w.length).toBe(2);
    now = 1000; // the first is exactly 1000 ms old
    expect(w.length).toBe(1);
    expect(Array.from(w.counts(0))).toEqual([0, 1]);
    expect(w.sum(0)).toBe(2);
    now = 5000;
    expect(w.length).toBe(0);
    expect(w.sum(0)).toBe(0);
  });

  it('grows its ring as needed and honours maxSize', () => {
    let now = 0;
    const w = createTimeWindow({ ms: 1e9, maxSize: 150, bins: [3], now: () => now });
    for (let i = 0; i < 500; i++) {
      now = i;
      w.add([i % 3]);
    }
    expect(w.length).toBe(150);
    const expected = [0, 0, 0];
    for (let i = 350; i < 500; i++) expected[i % 3]++;
    expect(Array.from(w.counts(0))).toEqual(expected);
    expect(w.has(349)).toBe(false);
    expect(w.bucketOf(499, 0)).toBe(499 % 3);
  });

  it('keeps order across growth while the ring is wrapped', () => {
    let now = 0;
    const w = createTimeWindow({ ms: 100, bins: [1000], now: () => now });
    for (let i = 0; i < 300; i++) {
      now = i;
      w.add([i]);
    }
    // Observations 200..299 are inside (added less than 100 ms ago).
    expect(w.length).toBe(100);
    for (const seq of [200, 250, 299]) expect(w.bucketOf(seq, 0)).toBe(seq);
  });

  it('rejects a bad ms', () => {
    expect(() => createTimeWindow({ ms: 0, bins: [2] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
