// A third-party explainer for glassbox, written as a plugin author would: one file, no imports,
// a plain object as its default export. Load it with
//   glassbox explain --plugin ./keep-one-explainer.mjs --method keep-one "I am so happy today"
// or list it in the server config: { "plugins": ["./keep-one-explainer.mjs"] }.
//
// Keep-one scores each unit (word, token or window) by what it does on its own: the explained
// score with only that unit visible, minus the score with every unit occluded. It complements
// occlusion (leave-one-out), which sees what a unit adds to all the others.
export default {
  kind: 'explainer',
  name: 'keep-one',
  description: 'Keep-one: the explained score with only this unit visible, minus the score with every unit occluded.',
  requires: [],
  options: {
    baseline: {
      type: 'string',
      enum: ['auto', 'mask', 'attention'],
      default: 'auto',
      description: 'How the other units are occluded (auto: <mask> when the tokenizer has one).',
    },
  },
  // Per model window: the fully occluded text, and one sequence per unit (batched by glassbox).
  cost: ({ units }) => ({ perturbations: units + 1 }),
  async explain({ units, predict, score, options }) {
    const all = units.map((_, i) => i);
    const baseline = options.baseline === 'auto' ? undefined : options.baseline;
    // predict() takes, per variant, the indices of the units to occlude.
    const [nothing, ...alone] = await predict([all, ...all.map((i) => all.filter((j) => j !== i))], { baseline });
    return alone.map((p) => score(p) - score(nothing));
  },
};
