import { describe, expect, it } from 'vitest';
import { attentionRollout, fuseHeads, rolloutMatrices } from './rollout.js';

// 3 tokens, 2 layers, 1 head; worked by hand:
//   Â1 = 0.5 A1 + 0.5 I = [[.75,.125,.125],[.1,.8,.1],[.05,.05,.9]]
//   Â2 = 0.5 A2 + 0.5 I = [[.6,.2,.2],[.15,.65,.2],[.25,.125,.625]]
//   row 0 of Â2 · Â1 = [.6*.75+.2*.1+.2*.05, .6*.125+.2*.8+.2*.05, .6*.125+.2*.1+.2*.9] = [.48, .245, .275]
const A1 = [0.5, 0.25, 0.25, 0.2, 0.6, 0.2, 0.1, 0.1, 0.8];
const A2 = [0.2, 0.4, 0.4, 0.3, 0.3, 0.4, 0.5, 0.25, 0.25];

describe('attention rollout', () => {
  it('equals the hand-worked value on a 3-token, 2-layer example', () => {
    const r = attentionRollout([A1, A2], 1, 3);
    expect(r[0]).toBeCloseTo(0.48, 12);
    expect(r[1]).toBeCloseTo(0.245, 12);
    expect(r[2]).toBeCloseTo(0.275, 12);
  });

  it('keeps every row summing to 1 after every layer', () => {
    for (const m of rolloutMatrices([A1, A2, A1], 1, 3)) {
      for (let i = 0; i < 3; i++) expect(m[i * 3] + m[i * 3 + 1] + m[i * 3 + 2]).toBeCloseTo(1, 12);
    }
  });

  it('fuses heads by mean, max or min', () => {
    const twoHeads = [...A1, ...A2];
    expect(fuseHeads(twoHeads, 2, 3, 3, 'mean')[1]).toBeCloseTo((0.25 + 0.4) / 2, 12);
    expect(fuseHeads(twoHeads, 2, 3, 3, 'max')[1]).toBe(0.4);
    expect(fuseHeads(twoHeads, 2, 3, 3, 'min')[1]).toBe(0.25);
    // mean of two heads = rollout of their average
    const avg = A1.map((v, i) => (v + A2[i]) / 2);
    const r2 = attentionRollout([twoHeads], 2, 3);
    const r1 = attentionRollout([avg], 1, 3);
    r1.forEach((v, i) => expect(r2[i]).toBeCloseTo(v, 12));
  });

  it('leaves padding out: a padded copy gives the same scores over the real positions', () => {
    // pad to 4 positions; the 4th is padding with arbitrary attention values
    const pad = (a: number[]) => [a[0], a[1], a[2], 0, a[3], a[4], a[5], 0, a[6], a[7], a[8], 0, 0.25, 0.25, 0.25, 0.25];
    const padded = attentionRollout([pad(A1), pad(A2)], 1, 4, { length: 3 });
    expect(padded).toHaveLength(3);
    expect(padded[0]).toBeCloseTo(0.48, 12);
  });
});
