import { createHash } from 'node:crypto';
import { GlassboxError, type CalibratorPlugin, type PluginRegistry } from '@glassbox/core';
import { CERTIFIABLE_RULES } from './abstention-certificate.js';
import type { AbstentionCertificate, CertifiableRule } from './abstention-certificate.js';
import { checkFittedCalibration } from './calibration-method.js';
import type { FieldFailure, FittedCalibration } from './calibration-method.js';
import { accuracy, brier, ece, mce, nll, reliabilityDiagram } from './metrics.js';
import type { ReliabilityBin } from './metrics.js';
import { HeldOutMetricsSchema, type ConformalRecord, type HeldOutMetrics, type MetricSet } from './calibration-schema.js';
import { asLabels, asMatrix, checkInteger } from './validate.js';

export type { ConformalRecord, HeldOutMetrics, MetricSet } from './calibration-schema.js';

/** The saved calibration of one model: one JSON file, written by `glassbox calibrate`. */
export interface CalibrationFile {
  format: 'glassbox-calibration';
  version: 1;
  /**
   * `id` is 'sha256:<hex>' of model.onnx, `tokenizer` that of tokenizer.json (absent in files
   * written before glassbox recorded it); `labels` in model order.
   */
  model: { id: string; name: string; labels: string[]; tokenizer?: string };
  calibration: FittedCalibration;
  /** Rows the calibration was fitted on: their count and hashFittingRows(logits, labels). */
  fitted_on: { count: number; sha256: string };
  /**
   * Metrics of the fitting rows before and after calibration (in-sample), and `held_out`: the
   * recipe's figures on rows each fit did not see, by K-fold cross-fitting (cross-fit.ts).
   */
  metrics?: { before: MetricSet; after: MetricSet; held_out?: HeldOutMetrics };
  conformal?: ConformalRecord;
  certificate?: AbstentionCertificate;
  /** ISO 8601 time of fitting. */
  created_at: string;
}

export interface ExpectedModel {
  /** 'sha256:<hex>' of the model the calibration is about to be used with. */
  modelId?: string;
  /** 'sha256:<hex>' of its tokenizer.json. */
  tokenizerId?: string;
  /** Its labels, in order. */
  labels?: readonly string[];
}

const FORMAT = 'glassbox-calibration';
const VERSION = 1;
const HASH = /^sha256:[0-9a-f]{64}$/;

/** Accuracy, ECE, MCE (`bins` equal-width bins), Brier, NLL and the reliability diagram of `probs`. */
export function computeMetricSet(probs: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, bins = 15): MetricSet {
  checkInteger(bins, 'bins', 1);
  const [p, y] = [asMatrix(probs), asLabels(labels)];
  return {
    accuracy: accuracy(p, y, numClasses),
    ece: ece(p, y, numClasses, { bins }),
    mce: mce(p, y, numClasses, { bins }),
    brier: brier(p, y, numClasses),
    nll: nll(p, y, numClasses),
    reliability: reliabilityDiagram(p, y, numClasses, { bins }),
  };
}

/**
 * 'sha256:<hex>' of the fitting rows: every logit as a little-endian float32 (row-major), then
 * every label as a little-endian int32. Identical rows give the same hash on any machine; a
 * float64 logit is rounded to float32 first (what the model emits).
 */
export function hashFittingRows(logits: ArrayLike<number>, labels: ArrayLike<number>): string {
  const bytes = new DataView(new ArrayBuffer(4 * (logits.length + labels.length)));
  for (let i = 0; i < logits.length; i++) bytes.setFloat32(4 * i, logits[i], true);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < -(2 ** 31) || y >= 2 ** 31) {
      throw new GlassboxError('INVALID_INPUT', `labels[${i}] is ${y}; labels must be integer class ids.`);
    }
    bytes.setInt32(4 * (logits.length + i), y, true);
  }
  return `sha256:${createHash('sha256').update(new Uint8Array(bytes.buffer)).digest('hex')}`;
}

/** A readable prefix of a 'sha256:<hex>' id. */
const shortHash = (id: string): string => (id.length > 19 ? `${id.slice(0, 19)}…` : id);

function failer(source: string): FieldFailure {
  return (field, problem) => {
    throw new GlassboxError('CALIBRATION_FILE_INVALID', `${source}: ${field} ${problem}.`, { details: { field, source } });
  };
}

type Fields = Record<string, unknown>;

function object(value: unknown, field: string, fail: FieldFailure): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(field, 'must be an object');
  return value as Fields;
}

function string(value: unknown, field: string, fail: FieldFailure, pattern?: RegExp, hint?: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(field, `must be a non-empty string (got ${JSON.stringify(value)})`);
  if (pattern && !pattern.test(value)) fail(field, `must be ${hint} (got ${JSON.stringify(value)})`);
  return value;
}

function number(value: unknown, field: string, fail: FieldFailure, min = -Infinity, max = Infinity, open = false): number {
  const inRange = typeof value === 'number' && Number.isFinite(value) && (open ? value > min && value < max : value >= min && value <= max);
  if (!inRange) {
    const range = open ? `in (${min}, ${max})` : min === -Infinity ? 'finite' : max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    fail(field, `must be a number ${range} (got ${JSON.stringify(value)})`);
  }
  return value as number;
}

function count(value: unknown, field: string, fail: FieldFailure): number {
  if (!Number.isInteger(value) || (value as number) < 1) fail(field, `must be an integer >= 1 (got ${JSON.stringify(value)})`);
  return value as number;
}

function parseModel(value: unknown, fail: FieldFailure): CalibrationFile['model'] {
  const model = object(value, 'model', fail);
  const labels = model.labels;
  if (!Array.isArray(labels) || labels.length < 2) fail('model.labels', 'must be an array of at least 2 label names');
  labels.forEach((label, i) => string(label, `model.labels[${i}]`, fail));
  const duplicate = labels.findIndex((label, i) => labels.indexOf(label) !== i);
  if (duplicate >= 0) fail(`model.labels[${duplicate}]`, `repeats the label ${JSON.stringify(labels[duplicate])}`);
  return {
    id: string(model.id, 'model.id', fail, HASH, "'sha256:' and 64 lowercase hex digits"),
    name: string(model.name, 'model.name', fail),
    labels: [...(labels as string[])],
    ...(model.tokenizer !== undefined && { tokenizer: string(model.tokenizer, 'model.tokenizer', fail, HASH, "'sha256:' and 64 lowercase hex digits") }),
  };
}

/**
 * Refuses (CALIBRATION_MODEL_MISMATCH) a calibration fitted for another model file, another
 * tokenizer.json or other labels than `expected`; a file without a tokenizer hash (written before
 * glassbox recorded one) passes: see untiedTokenizerWarning.
 */
export function checkCalibrationModel(model: CalibrationFile['model'], expected: ExpectedModel, source = 'calibration file'): void {
  if (expected.modelId !== undefined && expected.modelId !== model.id) {
    throw new GlassboxError(
      'CALIBRATION_MODEL_MISMATCH',
      `${source} was fitted for model ${shortHash(model.id)} (${model.name}) but this model is ${shortHash(expected.modelId)}; ` +
        'refit it for this model with `glassbox calibrate`.',
      { details: { fileModelId: model.id, modelId: expected.modelId, source } },
    );
  }
  if (expected.tokenizerId !== undefined && model.tokenizer !== undefined && expected.tokenizerId !== model.tokenizer) {
    throw new GlassboxError(
      'CALIBRATION_MODEL_MISMATCH',
      `${source} was fitted with tokenizer ${model.tokenizer} but this model's tokenizer.json is ${expected.tokenizerId}; ` +
        'refit it for this tokenizer with `glassbox calibrate`.',
      { details: { fileTokenizerId: model.tokenizer, tokenizerId: expected.tokenizerId, source } },
    );
  }
  const labels = expected.labels;
  if (labels !== undefined && (labels.length !== model.labels.length || labels.some((l, i) => l !== model.labels[i]))) {
    throw new GlassboxError(
      'CALIBRATION_MODEL_MISMATCH',
      `${source} was fitted for labels [${model.labels.join(', ')}] but this model has [${labels.join(', ')}]; ` +
        'refit it for this model with `glassbox calibrate`.',
      { details: { fileLabels: model.labels, labels: [...labels], source } },
    );
  }
}

function parseBin(value: unknown, field: string, fail: FieldFailure): ReliabilityBin {
  const bin = object(value, field, fail);
  if (typeof bin.empty !== 'boolean') fail(`${field}.empty`, 'must be true or false');
  const c = bin.count;
  if (!Number.isInteger(c) || (c as number) < 0) fail(`${field}.count`, `must be an integer >= 0 (got ${JSON.stringify(c)})`);
  return {
    lower: number(bin.lower, `${field}.lower`, fail, 0, 1),
    upper: number(bin.upper, `${field}.upper`, fail, 0, 1),
    count: c as number,
    meanConfidence: number(bin.meanConfidence, `${field}.meanConfidence`, fail, 0, 1),
    accuracy: number(bin.accuracy, `${field}.accuracy`, fail, 0, 1),
    empty: bin.empty as boolean,
  };
}

function parseMetricSet(value: unknown, field: string, fail: FieldFailure): MetricSet {
  const set = object(value, field, fail);
  const reliability = set.reliability;
  if (!Array.isArray(reliability) || reliability.length === 0) fail(`${field}.reliability`, 'must be a non-empty array of bins');
  return {
    accuracy: number(set.accuracy, `${field}.accuracy`, fail, 0, 1),
    ece: number(set.ece, `${field}.ece`, fail, 0, 1),
    mce: number(set.mce, `${field}.mce`, fail, 0, 1),
    brier: number(set.brier, `${field}.brier`, fail, 0, 2),
    nll: number(set.nll, `${field}.nll`, fail, 0),
    reliability: reliability.map((bin, i) => parseBin(bin, `${field}.reliability[${i}]`, fail)),
  };
}

function parseHeldOut(value: unknown, fail: FieldFailure): HeldOutMetrics {
  const parsed = HeldOutMetricsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(['metrics', 'held_out', ...issue.path.map(String)].join('.'), issue.message);
  }
  const held = parsed.data as HeldOutMetrics;
  return { ...held, after: parseMetricSet(held.after, 'metrics.held_out.after', fail) };
}

function parseConformal(value: unknown, fail: FieldFailure): ConformalRecord {
  const c = object(value, 'conformal', fail);
  if (c.method !== 'lac') fail('conformal.method', `must be "lac" (got ${JSON.stringify(c.method)})`);
  return { method: 'lac', alpha: number(c.alpha, 'conformal.alpha', fail, 0, 1, true), qhat: number(c.qhat, 'conformal.qhat', fail, 0, 1) };
}

function parseCertificate(value: unknown, fail: FieldFailure): AbstentionCertificate {
  const c = object(value, 'certificate', fail);
  if (!CERTIFIABLE_RULES.includes(c.rule as CertifiableRule)) {
    fail('certificate.rule', `must be one of ${CERTIFIABLE_RULES.join(', ')} (got ${JSON.stringify(c.rule)})`);
  }
  return {
    rule: c.rule as CertifiableRule,
    threshold: number(c.threshold, 'certificate.threshold', fail),
    target_risk: number(c.target_risk, 'certificate.target_risk', fail, 0, 1, true),
    delta: number(c.delta, 'certificate.delta', fail, 0, 1, true),
    n: count(c.n, 'certificate.n', fail),
    risk_bound: number(c.risk_bound, 'certificate.risk_bound', fail, 0, 1),
    coverage: number(c.coverage, 'certificate.coverage', fail, 0, 1),
  };
}

/**
 * Parses and validates a calibration file. Every field is checked (CALIBRATION_FILE_INVALID naming
 * the field and `source`); with `expected`, a file fitted for another model id or other labels is
 * refused with CALIBRATION_MODEL_MISMATCH. The method is looked up in `calibrators` (default: the
 * built-ins; pass the app's registry so a plugin's method reads back). Returns a fresh object
 * holding the known fields only.
 */
export function parseCalibration(
  json: string,
  expected: ExpectedModel = {},
  source = 'calibration file',
  calibrators?: PluginRegistry<CalibratorPlugin>,
): CalibrationFile {
  const fail = failer(source);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new GlassboxError('CALIBRATION_FILE_INVALID', `${source} is not valid JSON: ${(e as Error).message}.`, {
      cause: e,
      details: { source },
    });
  }
  const file = object(raw, '(top level)', fail);
  if (file.format !== FORMAT) fail('format', `must be "${FORMAT}" (got ${JSON.stringify(file.format)})`);
  if (file.version !== VERSION) fail('version', `must be ${VERSION}, the version this glassbox reads (got ${JSON.stringify(file.version)})`);
  const model = parseModel(file.model, fail);
  checkCalibrationModel(model, expected, source);
  const calibrationFail: FieldFailure = (field, problem) => fail(field ? `calibration.${field}` : 'calibration', problem);
  const fittedOn = object(file.fitted_on, 'fitted_on', fail);
  const metrics = file.metrics === undefined ? undefined : object(file.metrics, 'metrics', fail);
  const created = string(file.created_at, 'created_at', fail);
  if (Number.isNaN(Date.parse(created))) fail('created_at', `must be an ISO 8601 date-time (got ${JSON.stringify(created)})`);
  return {
    format: FORMAT,
    version: VERSION,
    model,
    calibration: structuredClone(checkFittedCalibration(file.calibration, calibrationFail, model.labels.length, calibrators)),
    fitted_on: {
      count: count(fittedOn.count, 'fitted_on.count', fail),
      sha256: string(fittedOn.sha256, 'fitted_on.sha256', fail, HASH, "'sha256:' and 64 lowercase hex digits"),
    },
    ...(metrics && {
      metrics: {
        before: parseMetricSet(metrics.before, 'metrics.before', fail),
        after: parseMetricSet(metrics.after, 'metrics.after', fail),
        ...(metrics.held_out !== undefined && { held_out: parseHeldOut(metrics.held_out, fail) }),
      },
    }),
    ...(file.conformal !== undefined && { conformal: parseConformal(file.conformal, fail) }),
    ...(file.certificate !== undefined && { certificate: parseCertificate(file.certificate, fail) }),
    created_at: created,
  };
}

/**
 * The one-line warning for a calibration that records no tokenizer hash (written before glassbox
 * recorded one): it is accepted for any tokenizer.json, so say how to tie it. Null when it has one.
 */
export function untiedTokenizerWarning(file: Pick<CalibrationFile, 'model'>, source = 'calibration file'): string | null {
  if (file.model.tokenizer !== undefined) return null;
  return (
    `${source} records no tokenizer hash (written before glassbox recorded one), so a changed tokenizer.json goes unnoticed; ` +
    'regenerate it with `glassbox calibrate` (for the embedded model: npm run defaults:mini)'
  );
}

/** Path of the first NaN or ±Infinity inside `value` (JSON would write it as null), or null. */
function nonFinitePath(value: unknown, path: string): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    const found = nonFinitePath(child, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}

/**
 * The identity of a calibration, as audit rows and metric attributes carry it: the method and
 * the hash of its fitting rows (two methods fitted on the same rows are two calibrations), e.g.
 * `temperature:sha256:3f…`.
 */
export function calibrationId(file: Pick<CalibrationFile, 'calibration' | 'fitted_on'>): string {
  return `${file.calibration.method}:${file.fitted_on.sha256}`;
}

/**
 * The file's text: pretty JSON (2-space indent) and a final newline. The file is validated first,
 * as parseCalibration would read it back, so a malformed one throws CALIBRATION_FILE_INVALID
 * instead of being written; its method is looked up in `calibrators` (default: the built-ins).
 */
export function serializeCalibration(file: CalibrationFile, calibrators?: PluginRegistry<CalibratorPlugin>): string {
  const source = 'calibration to save';
  const bad = nonFinitePath(file, '');
  if (bad) {
    throw new GlassboxError('CALIBRATION_FILE_INVALID', `${source}: ${bad} is not a finite number, which JSON cannot hold.`, {
      details: { field: bad, source },
    });
  }
  const json = `${JSON.stringify(file, null, 2)}\n`;
  parseCalibration(json, {}, source, calibrators);
  return json;
}
