import { describe, expect, it } from 'vitest';
import { opTimes } from './profile.js';

describe('opTimes', () => {
  it('sums kernel times by operator type, largest first, and ignores other events', () => {
    const events = [
      { cat: 'Node', name: 'MatMul_1_kernel_time', dur: 300, args: { op_name: 'MatMul' } },
      { cat: 'Node', name: 'MatMul_2_kernel_time', dur: 300, args: { op_name: 'MatMul' } },
      { cat: 'Node', name: 'Softmax_kernel_time', dur: 200, args: { op_name: 'Softmax' } },
      { cat: 'Node', name: 'MatMul_1_fence_before', dur: 5, args: { op_name: 'MatMul' } },
      { cat: 'Session', name: 'model_run', dur: 1000 },
    ];
    expect(opTimes(events)).toEqual([
      { op: 'MatMul', micros: 600, runs: 2, share: 0.75 },
      { op: 'Softmax', micros: 200, runs: 1, share: 0.25 },
    ]);
  });

  it('gives an empty summary for a trace without kernel events', () => {
    expect(opTimes([{ cat: 'Session', name: 'model_loading_uri', dur: 10 }])).toEqual([]);
  });
});
