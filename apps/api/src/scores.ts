// Label scores and top-k are in @glassbox/core (prediction-view.ts), beside the prediction view.

/** The logistic function (the HF route's function_to_apply: sigmoid). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

