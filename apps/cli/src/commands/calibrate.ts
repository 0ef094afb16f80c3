import {
  buildCalibrationFile,
  builtinCalibrators,
  serializeCalibration,
  temperatureAtBound,
  type CalibrationFile,
  type CalibrationMethod,
  type MetricSet,
} from '@glassbox/calibration';
import { GlassboxError, type CalibratorPlugin, type PluginRegistry } from '@glassbox/core';
import { writeFileAtomic } from '../io/atomic-file.js';
import { classifyLabeled, type LabeledDataFlags } from './labeled-data.js';
import { openEngine, type EngineFlags } from './shared.js';

export interface CalibrateFlags extends EngineFlags, LabeledDataFlags {
  method: CalibrationMethod;
  out: string;
  conformal?: number;
  abstainRisk?: number;
  delta?: number;
  json?: boolean;
}

/**
 * Fits a calibrator on labeled data, optionally a LAC conformal threshold and an SGR abstention
 * certificate on the calibrated probabilities, and saves them with the model's identity.
 * `calibrators`: where --method is looked up (default: the built-ins; runCli adds --plugin's).
 */
export async function calibrateCommand(
  flags: CalibrateFlags,
  out: NodeJS.WritableStream,
  calibrators: PluginRegistry<CalibratorPlugin> = builtinCalibrators(),
  err: NodeJS.WritableStream = process.stderr,
): Promise<CalibrationFile> {
  if (!calibrators.has(flags.method)) {
    throw new GlassboxError('INVALID_OPTION', `--method must be one of ${calibrators.names().join(', ')}, got "${flags.method}"`);
  }
  const engine = await openEngine(flags);
  try {
    const k = engine.labels.length;
    const run = await classifyLabeled(engine, flags);
    const file = buildCalibrationFile(run.logits, run.gold, k, {
      method: flags.method,
      model: { id: await engine.modelId(), name: engine.bundle.name, labels: [...engine.labels], tokenizer: await engine.tokenizerId() },
      conformalAlpha: flags.conformal,
      abstainRisk: flags.abstainRisk,
      delta: flags.delta,
      calibrators,
    });
    await writeFileAtomic(flags.out, serializeCalibration(file, calibrators));
    const t = file.calibration.method === 'temperature' ? Number(file.calibration.params['temperature']) : NaN;
    if (Number.isFinite(t) && temperatureAtBound(t)) {
      err.write(
        `glassbox: warning: the fitted temperature ${t.toPrecision(4)} sits at its bound (e^${Math.sign(Math.log(t)) * 5}): the best fit lies outside the search range, which usually means labels that barely follow the model (check --label-column and the data) or too few rows\n`,
      );
    }
    out.write(flags.json ? `${JSON.stringify(summary(file), null, 2)}\n` : formatCalibration(file, flags.out));
    return file;
  } finally {
    await engine.dispose();
  }
}

function pick(m: MetricSet) {
  return { accuracy: m.accuracy, ece: m.ece, mce: m.mce, brier: m.brier, nll: m.nll };
}

function summary(file: CalibrationFile) {
  return {
    method: file.calibration.method,
    params: file.calibration.params,
    n: file.fitted_on.count,
    before: file.metrics ? pick(file.metrics.before) : null,
    after: file.metrics ? pick(file.metrics.after) : null,
    held_out: file.metrics?.held_out ? { ...file.metrics.held_out, after: pick(file.metrics.held_out.after) } : null,
    conformal: file.conformal ?? null,
    certificate: file.certificate ?? null,
  };
}

function formatCalibration(file: CalibrationFile, path: string): string {
  const m = file.metrics;
  const lines = [`${file.calibration.method} calibration of ${file.model.name} on ${file.fitted_on.count} rows -> ${path}`];
  if (m) {
    lines.push(`${''.padEnd(8)} ${'ECE-15'.padStart(8)} ${'MCE'.padStart(8)} ${'Brier'.padStart(8)} ${'NLL'.padStart(8)} ${'acc'.padStart(8)}`);
    const rows: Array<[string, MetricSet]> = [['before', m.before], ['after', m.after]];
    if (m.held_out) rows.push(['held-out', m.held_out.after]);
    for (const [name, s] of rows) {
      lines.push(`${name.padEnd(8)} ${[s.ece, s.mce, s.brier, s.nll, s.accuracy].map((v) => v.toFixed(4).padStart(8)).join(' ')}`);
    }
    lines.push(
      m.held_out
        ? `(before/after: on the fitting rows; held-out: ${m.held_out.folds}-fold cross-fitting, each row scored by a fit on the other folds)`
        : '(before/after: on the fitting rows; too few rows for held-out figures)',
    );
  }
  if (file.conformal) {
    const h = m?.held_out?.conformal;
    lines.push(
      `conformal LAC alpha ${file.conformal.alpha}: qhat ${file.conformal.qhat.toFixed(4)}` +
        (h ? `; held-out coverage ${(h.coverage * 100).toFixed(1)}% (target ${(h.target_coverage * 100).toFixed(1)}%), ${h.mean_set_size.toFixed(2)} labels per set` : ''),
    );
  }
  if (file.certificate) {
    const c = file.certificate;
    lines.push(
      `abstention: ${c.rule} >= ${c.threshold.toFixed(4)} keeps ${(c.coverage * 100).toFixed(1)}% with risk <= ${c.risk_bound.toFixed(4)} (target ${c.target_risk}, delta ${c.delta}, n ${c.n})`,
    );
    const held = m?.held_out;
    const h = held?.abstention;
    if (held && h && h.folds_certified > 0) {
      lines.push(
        `abstention, held-out (${h.folds_certified} of ${held.folds} folds certified): answered ${(h.coverage * 100).toFixed(1)}%, wrong on ${(h.selective_risk * 100).toFixed(1)}% of those`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
