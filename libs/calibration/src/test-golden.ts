import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The shared golden calibration fixture (synthetic 7-class logits and reference values from
 * numpy/scipy/scikit-learn). It lives outside the repository and is read where it lies; tests
 * that need it are skipped, with a message, when it is absent.
 */
export const GOLDEN_PATH = fileURLToPath(new URL('../../../../shared/fixtures/calibration/golden.json', import.meta.url));
export const HAS_GOLDEN = existsSync(GOLDEN_PATH);

if (!HAS_GOLDEN) {
  console.warn(`[calibration] golden fixture not found at ${GOLDEN_PATH}; skipping the golden-value tests.`);
}

export interface GoldenSplit {
  /** Row-major logits, float64. */
  logits: Float64Array;
  labels: Int32Array;
}

export interface GoldenMetrics {
  accuracy: number;
  ece15: number;
  mce15: number;
  brier: number;
  nll: number;
}

export interface GoldenExpected {
  temperature: number;
  calibration_nll_before: number;
  calibration_nll_after: number;
  test_raw: GoldenMetrics;
  test_temperature: GoldenMetrics;
  test_platt: GoldenMetrics;
  platt_ovr_params: { a: number; b: number }[];
  conformal_lac: { alpha: number; qhat: number; coverage: number; mean_set_size: number };
  selective_sgr: {
    target_risk: number;
    delta: number;
    threshold: number;
    risk_bound: number;
    test_coverage: number;
    test_risk: number;
  };
  test_aurc_temperature: number;
  cbpe_estimated_accuracy_temperature: number;
}

export interface Golden {
  classes: number;
  calibration: GoldenSplit;
  test: GoldenSplit;
  expected: GoldenExpected;
}

interface RawSplit {
  logits: number[][];
  labels: number[];
}

let cached: Golden | undefined;

/** Parses golden.json once per test file; call only when HAS_GOLDEN. */
export function loadGolden(): Golden {
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as {
    classes: number;
    calibration: RawSplit;
    test: RawSplit;
    expected: GoldenExpected;
  };
  const split = (s: RawSplit): GoldenSplit => ({ logits: Float64Array.from(s.logits.flat()), labels: Int32Array.from(s.labels) });
  cached = { classes: raw.classes, calibration: split(raw.calibration), test: split(raw.test), expected: raw.expected };
  return cached;
}

/** Every key of `expected`, nested keys joined with '.' (for the coverage check). */
export function goldenExpectedKeys(): string[] {
  const raw = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as { expected: Record<string, unknown> };
  const keys: string[] = [];
  const walk = (value: unknown, prefix: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else {
      keys.push(prefix);
    }
  };
  walk(raw.expected, '');
  return keys;
}
