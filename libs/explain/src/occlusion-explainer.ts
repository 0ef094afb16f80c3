import type { Explainer } from '@glassbox/core';
import { explainText, type ExplainOptions, type Explanation } from './explain-text.js';

/** Occlusion as a core `Explainer` plugin: works on any model (mask token or attention mask). */
export const occlusionExplainer: Explainer<Omit<ExplainOptions, 'methods'>, Explanation> = {
  kind: 'explainer',
  name: 'occlusion',
  description: 'Occlusion: drop in the target probability when a token, word or window is masked.',
  requires: [],
  explain: (context, text, options = {}) => explainText(context.engine, text, { ...options, methods: ['occlusion'] }),
};
