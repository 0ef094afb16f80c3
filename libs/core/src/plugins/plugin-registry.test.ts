import { describe, expect, it } from 'vitest';
import { GlassboxError } from '../errors.js';
import { createPluginRegistry } from './plugin-registry.js';
import type { Calibrator, Explainer } from './plugin-types.js';

const rollout: Explainer = { kind: 'explainer', name: 'attention-rollout', requires: ['attentions'], explain: async () => null };
const identity: Calibrator = { kind: 'calibrator', name: 'identity', calibrate: (l) => l };

function codeOf(f: () => void): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof GlassboxError ? e.code : 'not a GlassboxError';
  }
  return undefined;
}

describe('plugin registry', () => {
  it('refuses an explainer that needs attentions on a model without them, at registration', () => {
    const r = createPluginRegistry({ attentions: false, maskToken: true });
    expect(codeOf(() => r.register(rollout))).toBe('PLUGIN_CAPABILITY_MISSING');
    expect(r.has('explainer', 'attention-rollout')).toBe(false);
  });

  it('registers and returns plugins when the model has what they need', () => {
    const r = createPluginRegistry({ attentions: true, maskToken: true });
    r.register(rollout);
    r.register(identity);
    expect(r.get('explainer', 'attention-rollout')).toBe(rollout);
    expect(r.list('calibrator')).toEqual([identity]);
  });

  it('rejects duplicates, bad names, bad kinds and missing functions with coded errors', () => {
    const r = createPluginRegistry({ attentions: true, maskToken: true });
    r.register(identity);
    expect(codeOf(() => r.register(identity))).toBe('PLUGIN_DUPLICATE');
    expect(codeOf(() => r.register({ ...identity, name: 'Bad Name' }))).toBe('PLUGIN_INVALID');
    expect(codeOf(() => r.register({ ...identity, kind: 'nope' } as unknown as Calibrator))).toBe('PLUGIN_INVALID');
    expect(codeOf(() => r.register({ kind: 'calibrator', name: 'empty' } as unknown as Calibrator))).toBe('PLUGIN_INVALID');
  });

  it('lists the registered names when asked for an unknown one', () => {
    const r = createPluginRegistry({ attentions: true, maskToken: true });
    r.register(identity);
    expect(() => r.get('calibrator', 'platt')).toThrow(/registered: identity/);
  });
});
