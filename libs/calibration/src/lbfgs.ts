export interface LbfgsOptions {
  /** Most iterations (default 500). */
  maxIterations?: number;
  /** Stop when the gradient's max-norm falls below this (default 1e-8). */
  gradientTolerance?: number;
  /** Number of correction pairs kept (default 10). */
  memory?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  fx: number;
  iterations: number;
  converged: boolean;
}

/** f(x) and writes the gradient into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * Limited-memory BFGS (Nocedal & Wright, Alg. 7.4 two-loop recursion) with a backtracking
 * Armijo line search; a correction pair with non-positive curvature is skipped. Deterministic;
 * meant for the small smooth convex fits here (vector scaling). Never returns a point worse than x0.
 */
export function minimizeLbfgs(f: ObjectiveWithGradient, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const maxIterations = options.maxIterations ?? 500;
  const gradientTolerance = options.gradientTolerance ?? 1e-8;
  const memory = options.memory ?? 10;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  const direction = new Float64Array(n);
  const alphas = new Array<number>(memory);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  let iterations = 0;
  let converged = maxAbs(g) < gradientTolerance;

  while (!converged && iterations < maxIterations) {
    iterations++;
    // Two-loop recursion: direction = -H g.
    for (let i = 0; i < n; i++) direction[i] = -g[i];
    for (let j = sList.length - 1; j >= 0; j--) {
      alphas[j] = rhoList[j] * dot(sList[j], direction);
      for (let i = 0; i < n; i++) direction[i] -= alphas[j] * yList[j][i];
    }
    if (sList.length > 0) {
      const last = sList.length - 1;
      const gamma = dot(sList[last], yList[last]) / dot(yList[last], yList[last]);
      for (let i = 0; i < n; i++) direction[i] *= gamma;
    } else {
      const scale = 1 / Math.max(1, maxAbs(g));
      for (let i = 0; i < n; i++) direction[i] *= scale;
    }
    for (let j = 0; j < sList.length; j++) {
      const beta = rhoList[j] * dot(yList[j], direction);
      for (let i = 0; i < n; i++) direction[i] += (alphas[j] - beta) * sList[j][i];
    }
    let slope = dot(direction, g);
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      sList.length = yList.length = rhoList.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i];
      slope = dot(direction, g);
    }

    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * direction[i];
      fNew = f(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(fNew <= fx + 1e-4 * step * slope) || !(fNew < fx || maxAbs(gNew) < maxAbs(g))) break;

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      sList.push(s);
      yList.push(y);
      rhoList.push(1 / sy);
      if (sList.length > memory) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
    }
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    fx = fNew;
    converged = maxAbs(g) < gradientTolerance;
  }
  return { x, fx, iterations, converged };
}
