import type { AbstentionPlugin } from '@glassbox/core';
import { entropyRule } from '../abstention-rules.js';

/** `--abstain entropy:BITS`: abstain when the entropy of the probabilities exceeds BITS. */
export const entropy: AbstentionPlugin<{ bits: number }> = {
  kind: 'abstention',
  name: 'entropy',
  description: 'Abstain when the entropy of the probabilities exceeds the given bits.',
  options: { bits: { type: 'number', default: 1.5, minimum: 0, description: 'Highest entropy kept, in bits.' } },
  decide: (probabilities, labels, { bits }) => entropyRule(bits).decide(probabilities, labels),
};
