import type { ExplainerPlugin } from '@glassbox/core';

/** Occlusion: the drop in the explained score when each unit is occluded; works on any model. */
const occlusionExplainer: ExplainerPlugin<{ baseline: 'auto' | 'mask' | 'attention' }> = {
  kind: 'explainer',
  name: 'occlusion',
  description: 'Occlusion: drop in the target probability when a token, word or window is masked.',
  byDefault: true,
  options: {
    baseline: {
      type: 'string',
      enum: ['auto', 'mask', 'attention'],
      default: 'auto',
      description: 'How a unit is occluded: <mask> tokens, attention_mask 0, or auto (<mask> when the tokenizer has one).',
    },
  },
  cost: ({ units }) => ({ perturbations: units + 1 }),
  async explain({ units, predict, score, options }) {
    const baseline = options.baseline === 'auto' ? undefined : options.baseline;
    const [full, ...occluded] = await predict([[], ...units.map((_, i) => [i])], { baseline });
    return occluded.map((p) => score(full) - score(p));
  },
};

export default occlusionExplainer;
