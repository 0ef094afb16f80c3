export interface ClassificationReport {
  n: number;
  accuracy: number;
  /** Unweighted mean of per-class F1 over all classes (a class never seen nor predicted scores 0). */
  macroF1: number;
  /** F1 by class index. */
  f1: number[];
  precision: number[];
  recall: number[];
  /** confusion[gold][predicted] counts. */
  confusion: number[][];
}

/**
 * Accuracy, per-class precision/recall/F1 and macro-F1 from gold and predicted class ids, as
 * scikit-learn's `classification_report` computes them (zero_division = 0).
 */
export function classificationReport(gold: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): ClassificationReport {
  if (gold.length !== predicted.length) {
    throw new RangeError(`gold has ${gold.length} entries but predicted has ${predicted.length}`);
  }
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    confusion[gold[i]][predicted[i]]++;
    if (gold[i] === predicted[i]) correct++;
  }
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const tp = confusion[c][c];
    let predictedC = 0;
    let goldC = 0;
    for (let k = 0; k < numClasses; k++) {
      predictedC += confusion[k][c];
      goldC += confusion[c][k];
    }
    precision.push(predictedC === 0 ? 0 : tp / predictedC);
    recall.push(goldC === 0 ? 0 : tp / goldC);
    f1.push(tp === 0 ? 0 : (2 * tp) / (predictedC + goldC));
  }
  const n = gold.length;
  return {
    n,
    accuracy: n === 0 ? 0 : correct / n,
    macroF1: numClasses === 0 ? 0 : f1.reduce((a, b) => a + b, 0) / numClasses,
    f1,
    precision,
    recall,
    confusion,
  };
}
