// A third-party abstention rule for glassbox: withhold a prediction whose top probability is
// below a floor. A single self-contained file: a plain object as default export, no imports.
//
//   glassbox predict --plugin ./never-below-abstention.mjs --abstain never-below:0.9 --json "I am so happy"
//   glassbox serve --plugin ./never-below-abstention.mjs --abstain never-below:0.9
//   (or a server config { "plugins": ["./never-below-abstention.mjs"], "abstain": "never-below:0.9" })
//
// NAME:VALUE sets the rule's first option (here `floor`). Its decisions show in predict's and
// /v1/predict's abstained and abstention_reason, and in the abstention metrics.

export default {
  kind: 'abstention',
  name: 'never-below',
  description: 'Abstain when the top probability is below the floor.',
  options: {
    floor: { type: 'number', default: 0.9, minimum: 0, maximum: 1, description: 'Lowest top probability answered.' },
  },
  decide(probabilities, labels, { floor }) {
    let top = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[top]) top = i;
    const p = probabilities[top];
    return p < floor ? { abstain: true, reason: `never-below: ${labels[top]} at ${p.toFixed(3)} < ${floor}` } : { abstain: false };
  },
};
