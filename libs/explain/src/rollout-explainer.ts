import type { ExplainerPlugin } from '@glassbox/core';
import { attentionRollout, type HeadFusion } from './rollout.js';

/** Attention rollout: one forward pass with attention outputs per window; class-agnostic. */
const rolloutExplainer: ExplainerPlugin<{ fusion: HeadFusion }> = {
  kind: 'explainer',
  name: 'rollout',
  description: 'Attention rollout (Abnar & Zuidema 2020): how much each token feeds <s> through all layers.',
  requires: ['attentions'],
  classAgnostic: true,
  byDefault: true,
  options: { fusion: { type: 'string', enum: ['mean', 'max', 'min'], default: 'mean', description: 'How the heads of a layer are fused.' } },
  cost: () => ({ forwardPasses: 1 }),
  async explain({ engine, encoding, tokens, options }) {
    const n = encoding.ids.length;
    const batch = { inputIds: BigInt64Array.from(encoding.ids, BigInt), attentionMask: new BigInt64Array(n).fill(1n), batchSize: 1, seqLen: n };
    const out = await engine.forward(batch, { attentions: true });
    const row = attentionRollout(out.attentions ?? [], out.numHeads ?? 1, n, { fusion: options.fusion });
    return { tokens: tokens.map((t) => t.positions.reduce((s, p) => s + row[p], 0)) };
  },
};

export default rolloutExplainer;
