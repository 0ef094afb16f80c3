import { GlassboxError } from '@glassbox/core';

/** A row-major [rows x numClasses] matrix of logits or probabilities. */
export type Matrix = Float32Array | Float64Array | readonly number[];

/** Integer class ids, one per row. */
export type LabelArray = Int32Array | readonly number[];

/** Checks that numClasses is an integer >= 2 and the matrix holds whole rows; returns the row count. */
export function rowCount(matrix: Matrix, numClasses: number, name = 'matrix'): number {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new GlassboxError('INVALID_OPTION', `numClasses must be an integer >= 2 (got ${numClasses}).`);
  }
  if (matrix.length % numClasses !== 0) {
    throw new GlassboxError(
      'INVALID_INPUT',
      `${name} has ${matrix.length} values, which is not a whole number of rows of ${numClasses} classes.`,
    );
  }
  for (let i = 0; i < matrix.length; i++) {
    if (!Number.isFinite(matrix[i])) {
      throw new GlassboxError('INVALID_INPUT', `${name}[${i}] is ${matrix[i]}; every value must be a finite number.`);
    }
  }
  return matrix.length / numClasses;
}

/** Like rowCount, and also rejects an empty matrix. */
export function nonEmptyRowCount(matrix: Matrix, numClasses: number, name = 'matrix'): number {
  const rows = rowCount(matrix, numClasses, name);
  if (rows === 0) throw new GlassboxError('INVALID_INPUT', `${name} is empty; at least one row is needed.`);
  return rows;
}

/** Checks one label per row, each an integer in [0, numClasses). */
export function checkLabels(labels: LabelArray, rows: number, numClasses: number): void {
  if (labels.length !== rows) {
    throw new GlassboxError('INVALID_INPUT', `labels has ${labels.length} entries but there are ${rows} rows; give one label per row.`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new GlassboxError('INVALID_INPUT', `labels[${i}] is ${y}; labels must be integers in 0..${numClasses - 1}.`);
    }
  }
}

/** Checks an integer option within [min, max]. */
export function checkInteger(value: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new GlassboxError('INVALID_OPTION', `${name} must be an integer ${range} (got ${value}).`);
  }
}

/** Checks a number strictly between 0 and 1. */
export function checkOpenUnit(value: number, name: string): void {
  if (!(value > 0 && value < 1)) {
    throw new GlassboxError('INVALID_OPTION', `${name} must be a number strictly between 0 and 1 (got ${value}).`);
  }
}

/** Checks that two per-row arrays have the same, non-zero length. */
export function checkSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, nameA: string, nameB: string): void {
  if (a.length !== b.length) {
    throw new GlassboxError('INVALID_INPUT', `${nameA} has ${a.length} entries but ${nameB} has ${b.length}; give one per row.`);
  }
  if (a.length === 0) throw new GlassboxError('INVALID_INPUT', `${nameA} is empty; at least one row is needed.`);
}

/** A Matrix view of any array-like of numbers (typed float arrays and arrays pass through, others are copied). */
export function asMatrix(values: ArrayLike<number>): Matrix {
  return values instanceof Float32Array || values instanceof Float64Array || Array.isArray(values) ? (values as Matrix) : Array.from(values);
}

/** A LabelArray view of any array-like (Int32Array and arrays pass through; others are copied, not truncated, so checkLabels sees them as given). */
export function asLabels(values: ArrayLike<number>): LabelArray {
  return values instanceof Int32Array || Array.isArray(values) ? (values as LabelArray) : Array.from(values);
}
