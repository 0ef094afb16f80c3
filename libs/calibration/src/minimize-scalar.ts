import { GlassboxError } from '@glassbox/core';

export interface ScalarMinimum {
  x: number;
  fx: number;
  evaluations: number;
}

export interface MinimizeScalarOptions {
  /** Absolute tolerance on x (default 1e-10). */
  xatol?: number;
  /** Most function evaluations (default 500). */
  maxEvaluations?: number;
}

/**
 * Brent's bounded minimisation of a 1-D function on [lo, hi] (golden-section steps with
 * parabolic interpolation), the algorithm of scipy's `fminbound` / minimize_scalar(method='bounded').
 * Finds the minimum of a unimodal function to within xatol.
 */
export function minimizeScalarBounded(
  f: (x: number) => number,
  lo: number,
  hi: number,
  options: MinimizeScalarOptions = {},
): ScalarMinimum {
  const xatol = options.xatol ?? 1e-10;
  const maxEvaluations = options.maxEvaluations ?? 500;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new GlassboxError('INVALID_OPTION', `bounds must be finite numbers with lo < hi (got [${lo}, ${hi}]).`);
  }
  const sqrtEps = Math.sqrt(2.2e-16);
  const goldenMean = 0.5 * (3 - Math.sqrt(5));
  let a = lo;
  let b = hi;
  let fulc = a + goldenMean * (b - a);
  let nfc = fulc;
  let xf = fulc;
  let rat = 0;
  let e = 0;
  let x = xf;
  let fx = f(x);
  let evaluations = 1;
  let ffulc = fx;
  let fnfc = fx;
  let xm = 0.5 * (a + b);
  let tol1 = sqrtEps * Math.abs(xf) + xatol / 3;
  let tol2 = 2 * tol1;

  while (Math.abs(xf - xm) > tol2 - 0.5 * (b - a)) {
    let golden = true;
    if (Math.abs(e) > tol1) {
      // Try a parabolic step through the three best points.
      let r = (xf - nfc) * (fx - ffulc);
      let q = (xf - fulc) * (fx - fnfc);
      let p = (xf - fulc) * q - (xf - nfc) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = Math.abs(q);
      r = e;
      e = rat;
      if (Math.abs(p) < Math.abs(0.5 * q * r) && p > q * (a - xf) && p < q * (b - xf)) {
        rat = p / q;
        x = xf + rat;
        golden = false;
        if (x - a < tol2 || b - x < tol2) rat = xm - xf >= 0 ? tol1 : -tol1;
      }
    }
    if (golden) {
      e = xf >= xm ? a - xf : b - xf;
      rat = goldenMean * e;
    }
    x = xf + (rat >= 0 ? 1 : -1) * Math.max(Math.abs(rat), tol1);
    const fu = f(x);
    evaluations++;
    if (fu <= fx) {
      if (x >= xf) a = xf;
      else b = xf;
      fulc = nfc;
      ffulc = fnfc;
      nfc = xf;
      fnfc = fx;
      xf = x;
      fx = fu;
    } else {
      if (x < xf) a = x;
      else b = x;
      if (fu <= fnfc || nfc === xf) {
        fulc = nfc;
        ffulc = fnfc;
        nfc = x;
        fnfc = fu;
      } else if (fu <= ffulc || fulc === xf || fulc === nfc) {
        fulc = x;
        ffulc = fu;
      }
    }
    xm = 0.5 * (a + b);
    tol1 = sqrtEps * Math.abs(xf) + xatol / 3;
    tol2 = 2 * tol1;
    if (evaluations >= maxEvaluations) break;
  }
  return { x: xf, fx, evaluations };
}
