import { mulberry32, type ExplainerPlugin } from '@glassbox/core';

interface ShapleyOptions {
  permutations: number;
  baseline: 'auto' | 'mask' | 'attention';
}

/**
 * Sampling Shapley values (Strumbelj & Kononenko 2010) over the units: for each of a fixed number
 * of seeded permutations, units are revealed one by one starting from the fully occluded text, and
 * each unit is credited with the change in the explained score when it appears. Permutations come
 * in antithetic pairs (an order and its reverse), which lowers the variance. Every permutation's
 * credits add up to f(x) - f(all occluded), so the averages do too (efficiency), exactly.
 */
const shapleyExplainer: ExplainerPlugin<ShapleyOptions> = {
  kind: 'explainer',
  name: 'shapley',
  description: 'Sampling Shapley values over words or tokens (antithetic permutations, fixed budget and seed); scores sum to f(text) - f(all occluded).',
  options: {
    permutations: { type: 'integer', default: 16, minimum: 2, maximum: 1024, description: 'Permutations sampled (the budget): about permutations x units perturbed sequences.' },
    baseline: { type: 'string', enum: ['auto', 'mask', 'attention'], default: 'auto', description: 'How an absent unit is occluded (auto: <mask> when the tokenizer has one).' },
  },
  // The empty and the full coalition are shared by every permutation.
  cost: ({ units }, options) => ({ perturbations: options.permutations * Math.max(0, units - 1) + 2 }),
  async explain({ units, predict, score, options, seed }) {
    const n = units.length;
    if (n === 0) return [];
    const rng = mulberry32(seed);
    const orders: number[][] = [];
    for (let p = 0; p < options.permutations; p++) {
      if (p % 2 === 1) {
        orders.push([...orders[p - 1]].reverse());
        continue;
      }
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      orders.push(order);
    }
    // Step j of an order: the units order[j..] are still occluded (j = 0: all of them; j = n: none).
    const variants = orders.flatMap((order) => Array.from({ length: n + 1 }, (_, j) => order.slice(j)));
    const probabilities = await predict(variants, { baseline: options.baseline === 'auto' ? undefined : options.baseline });
    const phi = new Array<number>(n).fill(0);
    orders.forEach((order, o) => {
      const row = o * (n + 1);
      for (let j = 0; j < n; j++) phi[order[j]] += score(probabilities[row + j + 1]) - score(probabilities[row + j]);
    });
    return phi.map((v) => v / orders.length);
  },
};

export default shapleyExplainer;
