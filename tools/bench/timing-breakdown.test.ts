import { describe, expect, it } from 'vitest';
import { parseServerTiming } from './http-load.js';
import { timingBreakdown } from './timing-breakdown.js';

describe('parseServerTiming', () => {
  it('reads each metric\'s dur, skipping descriptions and metrics without one', () => {
    expect(parseServerTiming('tokenize;dur=0.12, inference;dur=12.50;desc="batch of 3", cache, total;dur=14')).toEqual({ tokenize: 0.12, inference: 12.5, total: 14 });
    expect(parseServerTiming(undefined)).toEqual({});
  });
});

describe('timingBreakdown', () => {
  const timing = (inference: number, total: number) => ({ tokenize: 0.1, queue: 0.2, inference, pipeline: 0.05, commit: 0.05, total });

  it('splits each request into the server parts, the server rest and the time outside the server, as medians', () => {
    const b = timingBreakdown([20, 22, 21], [timing(15, 17), timing(16, 18), timing(15.5, 17.4)]);
    expect(b?.latency).toBe(21);
    const ms = Object.fromEntries((b?.parts ?? []).map((p) => [p.name.split(' ')[0], p.ms]));
    expect(ms['inference']).toBeCloseTo(15.5);
    expect(ms['server,']).toBeCloseTo(1.6); // per request: 1.6, 1.6, 1.5
    expect(ms['HTTP']).toBeCloseTo(3.6);
  });

  it('leaves out requests without a full Server-Timing, and answers null when none has one', () => {
    expect(timingBreakdown([5], [{}])).toBeNull();
    expect(timingBreakdown([5, 30], [{ inference: 1 }, timing(20, 25)])?.latency).toBe(30);
  });
});
