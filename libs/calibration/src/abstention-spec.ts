import { readFile } from 'node:fs/promises';
import {
  GlassboxError,
  resolvePluginOptions,
  type AbstentionPlugin,
  type AbstentionRule,
  type Calibrator,
  type CalibratorPlugin,
  type InferenceEngine,
  type PluginOptionValues,
  type PluginRegistry,
} from '@glassbox/core';
import { builtinAbstentionRules } from './abstention/builtin-abstention-rules.js';
import type { CalibrationAbstentionPlugin } from './abstention/certified.js';
import { ruleFromCertificate } from './abstention-certificate.js';
import { createCalibrator } from './calibration-method.js';
import { calibrationId, parseCalibration, untiedTokenizerWarning, type CalibrationFile } from './calibration-file.js';

let builtins: PluginRegistry<AbstentionPlugin> | undefined;
const defaultRules = () => (builtins ??= builtinAbstentionRules());

/** How each rule is spelled: NAME, or NAME:VALUE where VALUE sets its first option (e.g. "max-probability:THRESHOLD"). */
export function abstentionSpecs(rules: PluginRegistry<AbstentionPlugin> = defaultRules()): string {
  return rules
    .entries()
    .map(({ plugin }) => {
      const [first] = Object.keys(plugin.options ?? {});
      return 'fromCalibration' in plugin || first === undefined ? plugin.name : `${plugin.name}:${first.toUpperCase()}`;
    })
    .join(', ');
}

/** The built-in rules' spellings: "certified, max-probability:THRESHOLD, margin:THRESHOLD, entropy:BITS". */
export const ABSTENTION_SPECS = abstentionSpecs();

const isCalibrationRule = (plugin: AbstentionPlugin): plugin is CalibrationAbstentionPlugin<PluginOptionValues> =>
  typeof (plugin as Partial<CalibrationAbstentionPlugin<unknown>>).fromCalibration === 'function';

/** A registered abstention rule with its options, as the pipeline runs it. */
export function abstentionRule(plugin: AbstentionPlugin, values: Readonly<Record<string, unknown>> = {}): AbstentionRule {
  const options = resolvePluginOptions(plugin, values);
  return {
    kind: 'abstention',
    name: plugin.name,
    description: plugin.description,
    decide: (probabilities, labels) => plugin.decide(probabilities, labels, options),
  };
}

/**
 * An abstention rule from its spelling (the CLI's --abstain, the server's `abstain` option): a
 * registered rule's name, optionally `:VALUE` for its first option (`max-probability:0.5`,
 * `margin:0.2`, `entropy:1.5`); a rule that takes its options from the calibration file
 * (`certified`: its SGR certificate) takes no value. Unknown names are INVALID_OPTION listing the
 * spellings.
 */
export function parseAbstentionSpec(spec: string, calibration: CalibrationFile | null, rules: PluginRegistry<AbstentionPlugin> = defaultRules()): AbstentionRule {
  const m = /^([a-z][a-z0-9-]*)(?::(.+))?$/.exec(spec);
  const plugin = m && rules.has(m[1]) ? rules.get(m[1]) : null;
  if (!m || !plugin) throw new GlassboxError('INVALID_OPTION', `abstain "${spec}" is not a rule; use one of ${abstentionSpecs(rules)}`);
  const value = m[2];
  if (isCalibrationRule(plugin)) {
    if (value !== undefined) throw new GlassboxError('INVALID_OPTION', `abstain "${plugin.name}" takes no value; its options come from the calibration file`);
    const options = plugin.fromCalibration(calibration);
    if (!options) throw new GlassboxError('INVALID_OPTION', `abstain "${plugin.name}" needs ${plugin.needs}`);
    // The certificate's own rule, under that rule's name (what metrics and reasons have always shown).
    if (plugin.name === 'certified' && calibration?.certificate) return ruleFromCertificate(calibration.certificate);
    return abstentionRule(plugin, options);
  }
  const [first] = Object.entries(plugin.options ?? {});
  if (value === undefined || first === undefined) {
    if (value !== undefined) throw new GlassboxError('INVALID_OPTION', `abstain "${plugin.name}" takes no value`);
    return abstentionRule(plugin);
  }
  const [key, schema] = first;
  const parsed = schema.type === 'number' || schema.type === 'integer' ? Number(value) : schema.type === 'boolean' ? value === 'true' : value;
  if (typeof parsed === 'number' && !Number.isFinite(parsed)) {
    throw new GlassboxError('INVALID_OPTION', `abstain "${spec}": ${key} must be a number; use one of ${abstentionSpecs(rules)}`);
  }
  return abstentionRule(plugin, { [key]: parsed });
}

/** Labels in the LAC conformal set (1 - p <= qhat), most probable first. */
export function lacSet(probabilities: Readonly<Record<string, number>>, qhat: number): string[] {
  return Object.entries(probabilities)
    .filter(([, p]) => 1 - p <= qhat)
    .sort((a, b) => b[1] - a[1])
    .map(([l]) => l);
}

/** A calibration checked against an engine, its calibrator, and the warning to print, if any. */
export interface CalibrationForEngine {
  file: CalibrationFile;
  calibrator: Calibrator;
  /** One line (see untiedTokenizerWarning) when the file records no tokenizer hash; else null. */
  warning: string | null;
}

/**
 * Parses a calibration file's JSON for `engine` (refused when it was fitted for another model
 * file, another tokenizer.json or other labels) and builds its calibrator; its method is looked up
 * in `calibrators` (default: the built-ins).
 */
export async function calibrationForEngine(
  json: string,
  engine: Pick<InferenceEngine, 'modelId' | 'tokenizerId' | 'labels'>,
  source: string,
  calibrators?: PluginRegistry<CalibratorPlugin>,
): Promise<CalibrationForEngine> {
  const expected = { modelId: await engine.modelId(), tokenizerId: await engine.tokenizerId(), labels: engine.labels };
  const file = parseCalibration(json, expected, source, calibrators);
  return { file, calibrator: createCalibrator(file.calibration, calibrationId(file), calibrators), warning: untiedTokenizerWarning(file, source) };
}

/** Reads a calibration file from disk and checks it against `engine` (see calibrationForEngine). */
export async function readCalibrationForEngine(
  path: string,
  engine: Pick<InferenceEngine, 'modelId' | 'tokenizerId' | 'labels'>,
  calibrators?: PluginRegistry<CalibratorPlugin>,
): Promise<CalibrationForEngine> {
  let json: string;
  try {
    json = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read calibration ${path}: ${(cause as Error).message}`, { cause });
  }
  return calibrationForEngine(json, engine, path, calibrators);
}
