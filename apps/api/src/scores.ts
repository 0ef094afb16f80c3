export interface LabelScore {
  label: string;
  score: number;
}

/** Every label with its score, highest first (label order breaks ties). */
export function sortedScores(labels: readonly string[], scores: ArrayLike<number>): LabelScore[] {
  return labels.map((label, j) => ({ label, score: scores[j] })).sort((a, b) => b.score - a.score);
}

/** The k most probable labels, highest first. */
export function topK(probabilities: Record<string, number>, k: number): LabelScore[] {
  return sortedScores(Object.keys(probabilities), Object.values(probabilities)).slice(0, k);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Labels in the LAC conformal set (1 - p <= qhat), most probable first. */
export function lacSet(probabilities: Record<string, number>, qhat: number): string[] {
  return Object.entries(probabilities)
    .filter(([, p]) => 1 - p <= qhat)
    .sort((a, b) => b[1] - a[1])
    .map(([label]) => label);
}
