import type { AbstentionPlugin } from '@glassbox/core';
import { marginRule } from '../abstention-rules.js';

/** `--abstain margin:T`: abstain when top-1 minus top-2 probability is below T. */
export const margin: AbstentionPlugin<{ threshold: number }> = {
  kind: 'abstention',
  name: 'margin',
  description: 'Abstain when the top-1 minus top-2 probability is below the threshold.',
  options: { threshold: { type: 'number', default: 0.1, minimum: 0, maximum: 1, description: 'Lowest margin kept.' } },
  decide: (probabilities, labels, { threshold }) => marginRule(threshold).decide(probabilities, labels),
};
