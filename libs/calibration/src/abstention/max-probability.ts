import type { AbstentionPlugin } from '@glassbox/core';
import { maxProbabilityRule } from '../abstention-rules.js';

/** `--abstain max-probability:T`: abstain when the top probability is below T. */
export const maxProbability: AbstentionPlugin<{ threshold: number }> = {
  kind: 'abstention',
  name: 'max-probability',
  description: 'Abstain when the top probability is below the threshold.',
  options: { threshold: { type: 'number', default: 0.5, minimum: 0, maximum: 1, description: 'Lowest top probability kept.' } },
  decide: (probabilities, labels, { threshold }) => maxProbabilityRule(threshold).decide(probabilities, labels),
};
