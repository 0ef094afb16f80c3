// The host's own abstention rule, a glassbox plugin written in this project: withhold "neutral"
// answers below a floor (the service would rather ask a human than file a vague complaint as neutral).
import { defineAbstentionRule } from '@glassbox/core';

export default defineAbstentionRule({
  kind: 'abstention',
  name: 'neutral-floor',
  description: 'Abstain when the top label is neutral with a probability below the floor.',
  options: {
    floor: { type: 'number', default: 0.8, minimum: 0, maximum: 1, description: 'Lowest probability a neutral answer needs.' },
  },
  decide(probabilities, labels, { floor }) {
    let top = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[top]) top = i;
    const p = probabilities[top];
    return labels[top] === 'neutral' && p < floor ? { abstain: true, reason: `neutral-floor: neutral at ${p.toFixed(3)} < ${floor}` } : { abstain: false };
  },
});
