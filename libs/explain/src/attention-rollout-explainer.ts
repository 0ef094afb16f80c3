import type { Explainer } from '@glassbox/core';
import { explainText, type ExplainOptions, type Explanation } from './explain-text.js';

/** Attention rollout as a core `Explainer` plugin: needs attention outputs; class-agnostic. */
export const attentionRolloutExplainer: Explainer<Omit<ExplainOptions, 'methods'>, Explanation> = {
  kind: 'explainer',
  name: 'attention-rollout',
  description: 'Attention rollout (Abnar & Zuidema 2020): how much each token feeds <s> through all layers.',
  requires: ['attentions'],
  explain: (context, text, options = {}) => explainText(context.engine, text, { ...options, methods: ['rollout'] }),
};
