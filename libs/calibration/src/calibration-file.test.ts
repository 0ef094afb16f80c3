import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { certifyAbstention } from './abstention-certificate.js';
import { computeMetricSet, hashFittingRows, parseCalibration, serializeCalibration, untiedTokenizerWarning } from './calibration-file.js';
import type { CalibrationFile } from './calibration-file.js';
import { createCalibrator, fitCalibration } from './calibration-method.js';
import { fitLac } from './conformal.js';
import { softmaxRows64 } from './log-softmax.js';
import { accuracy, brier, ece, mce, nll, reliabilityDiagram } from './metrics.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';
import { overconfidentRows } from './test-synthetic.js';

const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];
const K = LABELS.length;
const MODEL_ID = `sha256:${'ab12'.repeat(16)}`;
const OTHER_ID = `sha256:${'cd34'.repeat(16)}`;
const rows = overconfidentRows(600, K, 31);

/** A complete calibration file, built the way `glassbox calibrate` would. */
function sampleFile(): CalibrationFile {
  const calibration = fitCalibration('vector', rows.logits, rows.labels, K);
  const after = createCalibrator(calibration).calibrate(rows.logits, K);
  return {
    format: 'glassbox-calibration',
    version: 1,
    model: { id: MODEL_ID, name: 'emotion-mini', labels: [...LABELS] },
    calibration,
    fitted_on: { count: 600, sha256: hashFittingRows(rows.logits, rows.labels) },
    metrics: { before: computeMetricSet(softmaxRows64(rows.logits, K), rows.labels, K), after: computeMetricSet(after, rows.labels, K) },
    conformal: { method: 'lac', alpha: 0.1, qhat: fitLac(after, rows.labels, K, { alpha: 0.1 }).qhat },
    certificate: certifyAbstention(after, rows.labels, K, { targetRisk: 0.5, delta: 0.01 }).certificate,
    created_at: '2024-05-01T12:00:00.000Z',
  };
}

/** The sample file's JSON with one field changed (a dotted path; undefined deletes it). */
function withField(path: string, value: unknown): string {
  const file = JSON.parse(serializeCalibration(sampleFile())) as Record<string, unknown>;
  const keys = path.split('.');
  let target = file;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  if (value === undefined) delete target[keys[keys.length - 1]];
  else target[keys[keys.length - 1]] = value;
  return JSON.stringify(file);
}

describe('computeMetricSet', () => {
  it('gathers the metrics of one set of probabilities', () => {
    const probs = softmaxRows64(rows.logits, K);
    const set = computeMetricSet(probs, rows.labels, K, 10);
    expect(set).toEqual({
      accuracy: accuracy(probs, rows.labels, K),
      ece: ece(probs, rows.labels, K, { bins: 10 }),
      mce: mce(probs, rows.labels, K, { bins: 10 }),
      brier: brier(probs, rows.labels, K),
      nll: nll(probs, rows.labels, K),
      reliability: reliabilityDiagram(probs, rows.labels, K, { bins: 10 }),
    });
    expect(computeMetricSet(probs, rows.labels, K).reliability).toHaveLength(15);
    expectGlassboxError(() => computeMetricSet(probs, rows.labels, K, 0), 'INVALID_OPTION', /bins must be an integer >= 1/);
  });

  it.skipIf(!HAS_GOLDEN)('reproduces the golden test_raw metrics', () => {
    const g = loadGolden();
    const set = computeMetricSet(softmaxRows64(g.test.logits, g.classes), g.test.labels, g.classes);
    const want = g.expected.test_raw;
    for (const [got, expected] of [
      [set.accuracy, want.accuracy],
      [set.ece, want.ece15],
      [set.mce, want.mce15],
      [set.brier, want.brier],
      [set.nll, want.nll],
    ]) {
      expect(Math.abs(got - expected)).toBeLessThan(1e-4);
    }
  });
});

describe('hashFittingRows', () => {
  it('hashes little-endian float32 logits then int32 labels', () => {
    const logits = [0.5, -1.25, 3, 1e-3];
    const labels = [1, 0];
    const bytes = Buffer.alloc(24);
    logits.forEach((v, i) => bytes.writeFloatLE(v, 4 * i));
    labels.forEach((v, i) => bytes.writeInt32LE(v, 16 + 4 * i));
    expect(hashFittingRows(logits, labels)).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(hashFittingRows(Float32Array.from(logits), Int32Array.from(labels))).toBe(hashFittingRows(logits, labels));
  });

  it('changes with any logit or label', () => {
    const base = hashFittingRows(rows.logits, rows.labels);
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
    const logits = rows.logits.slice();
    logits[100] += 0.01;
    expect(hashFittingRows(logits, rows.labels)).not.toBe(base);
    const labels = rows.labels.slice();
    labels[5] = (labels[5] + 1) % K;
    expect(hashFittingRows(rows.logits, labels)).not.toBe(base);
    expectGlassboxError(() => hashFittingRows([0, 1], [0.5]), 'INVALID_INPUT', /labels\[0\] is 0.5/);
  });
});

describe('serializeCalibration / parseCalibration', () => {
  it('round-trips a complete file as pretty JSON with a final newline', () => {
    const file = sampleFile();
    const json = serializeCalibration(file);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json).toContain('\n  "format": "glassbox-calibration",\n');
    const parsed = parseCalibration(json, { modelId: MODEL_ID, labels: LABELS });
    expect(parsed).toEqual(file);
    expect(createCalibrator(parsed.calibration).calibrate(rows.logits, K)).toEqual(createCalibrator(file.calibration).calibrate(rows.logits, K));
  });

  it('accepts a file without the optional sections and drops unknown fields', () => {
    const { metrics: _m, conformal: _c, certificate: _cert, ...minimal } = sampleFile();
    const parsed = parseCalibration(JSON.stringify({ ...minimal, comment: 'x' }));
    expect(parsed).toEqual(minimal);
  });

  it('refuses a file fitted for another model, naming both hashes and the fix', () => {
    const json = serializeCalibration(sampleFile());
    expectGlassboxError(
      () => parseCalibration(json, { modelId: OTHER_ID }, 'cal.json'),
      'CALIBRATION_MODEL_MISMATCH',
      /cal\.json was fitted for model sha256:ab12ab12ab12.* but this model is sha256:cd34cd34cd34.*refit .*`glassbox calibrate`/,
    );
    const reordered = [...LABELS].reverse();
    expectGlassboxError(
      () => parseCalibration(json, { modelId: MODEL_ID, labels: reordered }),
      'CALIBRATION_MODEL_MISMATCH',
      /fitted for labels \[anger, .*surprise\] but this model has \[surprise, .*anger\]/,
    );
  });

  it('refuses a file fitted with another tokenizer.json, naming both hashes in one line', () => {
    const [fitted, served] = [`sha256:${'1a'.repeat(32)}`, `sha256:${'2b'.repeat(32)}`];
    const json = serializeCalibration({ ...sampleFile(), model: { id: MODEL_ID, name: 'emotion-mini', labels: [...LABELS], tokenizer: fitted } });
    expect(parseCalibration(json, { modelId: MODEL_ID, tokenizerId: fitted }).model.tokenizer).toBe(fitted);
    let thrown: unknown;
    try {
      parseCalibration(json, { modelId: MODEL_ID, tokenizerId: served, labels: LABELS }, 'cal.json');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'CALIBRATION_MODEL_MISMATCH', details: { fileTokenizerId: fitted, tokenizerId: served } });
    const message = (thrown as GlassboxError).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(`cal.json was fitted with tokenizer ${fitted} but this model's tokenizer.json is ${served}`);
    expect(message).toMatch(/`glassbox calibrate`/);
  });

  it('accepts a file written before tokenizer hashes for any tokenizer, with a one-line warning that says how to regenerate', () => {
    const json = serializeCalibration(sampleFile());
    const file = parseCalibration(json, { modelId: MODEL_ID, tokenizerId: `sha256:${'2b'.repeat(32)}` }, 'old.json');
    expect(file.model.tokenizer).toBeUndefined();
    const warning = untiedTokenizerWarning(file, 'old.json') ?? '';
    expect(warning).toMatch(/^old\.json records no tokenizer hash.*regenerate it with `glassbox calibrate`/);
    expect(warning).not.toContain('\n');
    expect(untiedTokenizerWarning({ model: { ...file.model, tokenizer: `sha256:${'2b'.repeat(32)}` } })).toBeNull();
  });

  const invalid: [string, unknown, RegExp][] = [
    ['format', 'other', /format must be "glassbox-calibration"/],
    ['version', 2, /version must be 1/],
    ['model', undefined, /model must be an object/],
    ['model.id', 'md5:abc', /model\.id must be 'sha256:' and 64 lowercase hex digits/],
    ['model.name', '', /model\.name must be a non-empty string/],
    ['model.tokenizer', 'abc', /model\.tokenizer must be 'sha256:' and 64 lowercase hex digits/],
    ['model.labels', ['joy'], /model\.labels must be an array of at least 2/],
    ['model.labels', ['joy', 'joy'], /model\.labels\[1\] repeats the label "joy"/],
    ['calibration.method', 'beta', /calibration\.method must be one of temperature, vector, platt, isotonic/],
    ['calibration.params', { scale: [1, 1], bias: [0, 0] }, /calibration\.params hold 2 classes but the model has 7 labels/],
    ['calibration.params', { scale: [1, 1], bias: [0] }, /calibration\.params\.bias must hold 2 values/],
    ['fitted_on.count', 0, /fitted_on\.count must be an integer >= 1/],
    ['fitted_on.sha256', 'abc', /fitted_on\.sha256 must be 'sha256:'/],
    ['metrics.before.ece', 'low', /metrics\.before\.ece must be a number in \[0, 1\]/],
    ['metrics.after.reliability', [{ lower: 0, upper: 1, count: -1, meanConfidence: 0, accuracy: 0, empty: true }], /metrics\.after\.reliability\[0\]\.count must be an integer >= 0/],
    ['metrics.after', undefined, /metrics\.after must be an object/],
    ['conformal.method', 'aps', /conformal\.method must be "lac"/],
    ['conformal.alpha', 1, /conformal\.alpha must be a number in \(0, 1\)/],
    ['certificate.rule', 'energy', /certificate\.rule must be one of max-probability, margin, entropy/],
    ['certificate.n', 2.5, /certificate\.n must be an integer >= 1/],
    ['certificate.risk_bound', null, /certificate\.risk_bound must be a number in \[0, 1\] \(got null\)/],
    ['created_at', 'yesterday', /created_at must be an ISO 8601 date-time/],
  ];
  it.each(invalid)('names the field %s when it is wrong (%j)', (field, value, message) => {
    expectGlassboxError(() => parseCalibration(withField(field, value), {}, 'models/x/calibration.json'), 'CALIBRATION_FILE_INVALID', message);
    expectGlassboxError(() => parseCalibration(withField(field, value), {}, 'models/x/calibration.json'), 'CALIBRATION_FILE_INVALID', /^models\/x\/calibration\.json: /);
  });

  it('rejects text that is not a JSON object', () => {
    expectGlassboxError(() => parseCalibration('{"format":', {}, 'cal.json'), 'CALIBRATION_FILE_INVALID', /cal\.json is not valid JSON/);
    expectGlassboxError(() => parseCalibration('[]'), 'CALIBRATION_FILE_INVALID', /calibration file: \(top level\) must be an object/);
  });

  it('refuses to serialize what JSON cannot hold or what would not parse back', () => {
    const file = sampleFile();
    expectGlassboxError(
      () => serializeCalibration({ ...file, conformal: { method: 'lac', alpha: 0.1, qhat: Infinity } }),
      'CALIBRATION_FILE_INVALID',
      /calibration to save: conformal\.qhat is not a finite number/,
    );
    expectGlassboxError(
      () => serializeCalibration({ ...file, calibration: { method: 'temperature', params: { temperature: -1 } } }),
      'CALIBRATION_FILE_INVALID',
      /calibration to save: calibration\.params\.temperature must be a finite number > 0/,
    );
  });

  it('carries the field and source in the error details', () => {
    try {
      parseCalibration(withField('fitted_on.count', -3), {}, 'a.json');
      expect.unreachable();
    } catch (e) {
      expect((e as GlassboxError).details).toEqual({ field: 'fitted_on.count', source: 'a.json' });
    }
  });
});
