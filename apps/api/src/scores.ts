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

