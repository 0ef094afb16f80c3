import { describe, expect, it } from 'vitest';
import { createEarlyStopping } from './early-stopping.js';

describe('createEarlyStopping', () => {
  it('stops after `patience` epochs without a lower loss and remembers the best epoch', () => {
    const s = createEarlyStopping({ patience: 2, minDelta: 0.01 });
    expect(s.update(1, 1.0)).toEqual({ improved: true, stop: false });
    expect(s.update(2, 0.8)).toEqual({ improved: true, stop: false });
    expect(s.update(3, 0.795)).toEqual({ improved: false, stop: false }); // below minDelta
    expect(s.update(4, 0.9)).toEqual({ improved: false, stop: true });
    expect([s.bestEpoch, s.bestLoss]).toEqual([2, 0.8]);
  });

  it('resets its count on an improvement and ignores a NaN loss', () => {
    const s = createEarlyStopping({ patience: 2 });
    s.update(1, 1);
    expect(s.update(2, NaN).improved).toBe(false);
    expect(s.update(3, 0.5)).toEqual({ improved: true, stop: false });
    expect(s.update(4, 0.6).stop).toBe(false);
  });
});
