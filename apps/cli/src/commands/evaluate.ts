import { argmax, classificationReport, GlassboxError, softmaxRows, type ClassificationReport } from '@glassbox/core';
import { computeMetricSet, type ReliabilityBin } from '@glassbox/calibration';
import { abstentionRule, lacSet, loadCalibration, type CalibrationPlugins } from './calibration-io.js';
import { classifyLabeled, type LabeledDataFlags } from './labeled-data.js';
import { openEngine, type EngineFlags } from './shared.js';

export interface EvaluateFlags extends EngineFlags, LabeledDataFlags {
  json?: boolean;
  calibration?: string;
  conformal?: number;
}

export interface EvaluateResult {
  data: string;
  model: string;
  n: number;
  skipped: number;
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, number>;
  confusion: { labels: string[]; matrix: number[][] };
  calibration?: string;
  ece?: number;
  mce?: number;
  brier?: number;
  nll?: number;
  reliability?: ReliabilityBin[];
  ece_uncalibrated?: number;
  brier_uncalibrated?: number;
  nll_uncalibrated?: number;
  conformal?: { alpha: number; coverage: number; mean_set_size: number };
  selective?: { rule: string; threshold: number; coverage: number; risk: number };
}

/**
 * Scores the model on labeled data. With --calibration, predictions use the calibrated
 * probabilities and the result adds calibration metrics, conformal coverage (when the file has a
 * conformal threshold) and selective coverage/risk (when it has an abstention certificate).
 */
export async function evaluateCommand(flags: EvaluateFlags, out: NodeJS.WritableStream, plugins: CalibrationPlugins = {}, err: NodeJS.WritableStream = process.stderr): Promise<EvaluateResult> {
  if (flags.conformal !== undefined && !flags.calibration) {
    throw new GlassboxError('INVALID_OPTION', '--conformal needs --calibration FILE (fitted with glassbox calibrate --conformal ALPHA)');
  }
  const engine = await openEngine(flags);
  try {
    const labels = engine.labels;
    const k = labels.length;
    const loaded = flags.calibration ? await loadCalibration(flags.calibration, engine, plugins, err) : null;
    const run = await classifyLabeled(engine, flags);
    const raw = softmaxRows(run.logits, k);
    const probs = loaded ? loaded.calibrator.calibrate(run.logits, k) : raw;
    const predicted = run.gold.map((_, i) => argmax(probs, i * k, (i + 1) * k));
    const report = classificationReport(run.gold, predicted, k);
    const result = toResult(flags.data, engine.bundle.name, report, run.skipped, labels);
    if (loaded) {
      const m = computeMetricSet(probs, run.gold, k);
      const before = computeMetricSet(raw, run.gold, k);
      Object.assign(result, {
        calibration: flags.calibration,
        ece: m.ece,
        mce: m.mce,
        brier: m.brier,
        nll: m.nll,
        reliability: m.reliability,
        ece_uncalibrated: before.ece,
        brier_uncalibrated: before.brier,
        nll_uncalibrated: before.nll,
      });
      const conformal = loaded.file.conformal;
      if (flags.conformal !== undefined && (!conformal || Math.abs(conformal.alpha - flags.conformal) > 1e-12)) {
        throw new GlassboxError(
          'INVALID_OPTION',
          `${flags.calibration} has ${conformal ? `a conformal threshold for alpha ${conformal.alpha}` : 'no conformal threshold'}; refit with glassbox calibrate --conformal ${flags.conformal}`,
        );
      }
      if (conformal) {
        let covered = 0;
        let size = 0;
        run.gold.forEach((g, i) => {
          const set = lacSet(Object.fromEntries(labels.map((l, j) => [l, probs[i * k + j]])), conformal.qhat);
          size += set.length;
          if (set.includes(labels[g])) covered++;
        });
        result.conformal = { alpha: conformal.alpha, coverage: covered / run.gold.length, mean_set_size: size / run.gold.length };
      }
      const cert = loaded.file.certificate;
      if (cert) {
        const rule = abstentionRule('certified', loaded.file, plugins);
        let kept = 0;
        let errors = 0;
        run.gold.forEach((g, i) => {
          if (rule.decide(probs.subarray(i * k, (i + 1) * k), labels).abstain) return;
          kept++;
          if (predicted[i] !== g) errors++;
        });
        result.selective = { rule: cert.rule, threshold: cert.threshold, coverage: kept / run.gold.length, risk: kept ? errors / kept : 0 };
      }
    }
    out.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result, report));
    return result;
  } finally {
    await engine.dispose();
  }
}

function toResult(data: string, model: string, r: ClassificationReport, skipped: number, labels: readonly string[]): EvaluateResult {
  return {
    data,
    model,
    n: r.n,
    skipped,
    accuracy: r.accuracy,
    macro_f1: r.macroF1,
    per_class: Object.fromEntries(labels.map((l, j) => [l, r.f1[j]])),
    confusion: { labels: [...labels], matrix: r.confusion },
  };
}

function formatReport(res: EvaluateResult, r: ClassificationReport): string {
  const lines = [
    `${res.model} on ${res.data}: ${res.n} single-label rows (${res.skipped} multi-label rows skipped)`,
    `accuracy ${res.accuracy.toFixed(4)}  macro-F1 ${res.macro_f1.toFixed(4)}`,
    `${'label'.padEnd(10)} ${'precision'.padStart(9)} ${'recall'.padStart(7)} ${'F1'.padStart(7)} ${'support'.padStart(8)}`,
    ...res.confusion.labels.map(
      (l, j) =>
        `${l.padEnd(10)} ${r.precision[j].toFixed(4).padStart(9)} ${r.recall[j].toFixed(4).padStart(7)} ${r.f1[j].toFixed(4).padStart(7)} ${String(r.confusion[j].reduce((a, b) => a + b, 0)).padStart(8)}`,
    ),
  ];
  if (res.ece !== undefined) {
    lines.push(
      `calibrated (${res.calibration}): ECE-15 ${res.ece.toFixed(4)}  MCE ${res.mce?.toFixed(4)}  Brier ${res.brier?.toFixed(4)}  NLL ${res.nll?.toFixed(4)}`,
      `uncalibrated:  ECE-15 ${res.ece_uncalibrated?.toFixed(4)}  Brier ${res.brier_uncalibrated?.toFixed(4)}  NLL ${res.nll_uncalibrated?.toFixed(4)}`,
    );
  }
  if (res.conformal) {
    lines.push(`conformal LAC alpha ${res.conformal.alpha}: coverage ${res.conformal.coverage.toFixed(4)}, mean set size ${res.conformal.mean_set_size.toFixed(3)}`);
  }
  if (res.selective) {
    lines.push(`selective (${res.selective.rule} >= ${res.selective.threshold.toFixed(4)}): coverage ${res.selective.coverage.toFixed(4)}, risk ${res.selective.risk.toFixed(4)}`);
  }
  return `${lines.join('\n')}\n`;
}
