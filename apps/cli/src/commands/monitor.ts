import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createPipeline, createPluginRegistry, GlassboxError, type DriftStatisticPlugin, type InferenceEngine, type PipelineResult, type PluginRegistry } from '@glassbox/core';
import {
  buildReferenceProfile,
  calibrateRunLength,
  createDriftMonitor,
  isPostgresUrl,
  openPgStateStore,
  resolveAlarmOptions,
  openStateStore,
  parseReferenceProfile,
  type DriftAlarm,
  type ReferenceProfile,
  type StateSummary,
} from '@glassbox/monitor';
import { writeFileAtomic } from '../io/atomic-file.js';
import { startProgress, stepProgress, type Progress } from '../io/progress.js';
import { fileSize, readRecords, type InputFormat } from '../io/records.js';
import { loadCalibration, type CalibrationPlugins } from './calibration-io.js';
import { loadCliPlugins, openEngine, type EngineFlags } from './shared.js';

export interface MonitorDataFlags extends EngineFlags {
  data: string;
  format?: InputFormat;
  textColumn?: string;
  calibration?: string;
  /** Bytes of --data read so far (for a progress bar). */
  onBytes?: (bytes: number) => void;
}

/** Runs every row of a file through the model (and calibration) in order. */
export async function* predictFile(
  engine: InferenceEngine,
  flags: MonitorDataFlags,
  plugins: CalibrationPlugins,
): AsyncGenerator<{ result: PipelineResult; label?: string }> {
  const loaded = flags.calibration ? await loadCalibration(flags.calibration, engine, plugins) : null;
  const pipeline = createPipeline({ engine, calibrator: loaded?.calibrator });
  const labels: Array<string | undefined> = [];
  const texts = (async function* () {
    for await (const r of readRecords(flags.data, { format: flags.format, textColumn: flags.textColumn, onBytes: flags.onBytes })) {
      labels.push(r.label);
      yield r.text;
    }
  })();
  let i = 0;
  for await (const p of engine.classifyStream(texts)) {
    const [result] = await pipeline.process([p]);
    yield { result, label: labels[i++] };
  }
}

export interface ReferenceFlags extends MonitorDataFlags {
  out: string;
  /** The drift window the thresholds are calibrated for (default 500, the server's). */
  window?: number;
  /** Predictions between false alarms of the whole monitor under no drift (default 200,000). */
  expectedRunLength?: number;
  /** Plugin files or packages: their drift statistics join the calibrated set. */
  plugin?: string[];
  /** false: no progress bar on stderr (--no-progress). */
  progress?: boolean;
}

/**
 * Profiles the model's confidence, margin, entropy and label shares on a reference set, and
 * calibrates the alarm thresholds to the expected run length for the window (run-length.ts).
 */
export async function monitorReferenceCommand(flags: ReferenceFlags, out: NodeJS.WritableStream, plugins: CalibrationPlugins = {}): Promise<ReferenceProfile> {
  const engine = await openEngine(flags);
  try {
    const rows: Array<{ probabilities: Record<string, number> }> = [];
    let bytes = 0;
    let progress: Progress | null = null;
    try {
      for await (const { result } of predictFile(engine, { ...flags, onBytes: (b) => (bytes = b) }, plugins)) {
        // Started after the first row, so a bad file fails before any progress shows.
        progress ??= startProgress('reference', fileSize(flags.data), flags.progress !== false);
        rows.push({ probabilities: result.probabilities });
        if (rows.length % 256 === 0) progress.update(bytes, rows.length);
      }
    } catch (e) {
      progress?.stop();
      throw e;
    }
    progress?.finish(rows.length);
    let profile = buildReferenceProfile(rows, engine.labels, await engine.modelId());
    const started = Date.now();
    const window = flags.window ?? 500;
    const onProgress = stepProgress(`calibrating thresholds (window ${window})`, flags.progress !== false);
    const runLength = calibrateRunLength(profile, {
      window,
      expectedRunLength: flags.expectedRunLength,
      alarm: resolveAlarmOptions(),
      statistics: (await loadCliPlugins(flags.plugin ?? []))['drift-statistic'],
      ...(onProgress && { onProgress }),
    });
    profile = { ...profile, run_length: runLength };
    await writeFileAtomic(flags.out, `${JSON.stringify(profile, null, 2)}\n`);
    out.write(`reference of ${profile.n} predictions (mean confidence ${profile.mean_confidence.toFixed(4)}) -> ${flags.out}\n`);
    out.write(
      `thresholds for window ${window} and expected run length ${runLength.settings.expected_run_length}: ${runLength.tests} tests, ` +
        `${runLength.simulated_predictions} simulated predictions in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return profile;
  } finally {
    await engine.dispose();
  }
}

export interface ReplayFlags extends MonitorDataFlags {
  reference: string;
  /** Default: the window the reference's thresholds were calibrated for, else 300. */
  window?: number;
  /** Default 200,000 (the thresholds are recalibrated when the reference's were made for other settings). */
  expectedRunLength?: number;
  progress?: boolean;
  json?: boolean;
  /** Plugin files or packages (--plugin, repeatable): their drift statistics join the built-ins. */
  plugin?: string[];
  /** Only these statistics (--statistic, repeatable; default every registered one). */
  statistic?: string[];
}

export interface ReplayResult {
  predictions: number;
  window: number;
  /** The expected run length the thresholds were calibrated to. */
  expected_run_length: number | null;
  /** The drift statistics monitored, in evaluation order. */
  statistics: string[];
  /** Each signal's statistics over the final window, by name. */
  final: Record<string, Record<string, number>>;
  alarms: Array<Pick<DriftAlarm, 'index' | 'statistic' | 'signal' | 'value' | 'threshold'>>;
  estimated_accuracy: number | null;
  realized_accuracy: number | null;
}

/** The built-in drift statistics and the --plugin ones, narrowed to --statistic when given (PLUGIN_UNKNOWN lists the valid names). */
async function replayStatistics(flags: ReplayFlags): Promise<PluginRegistry<DriftStatisticPlugin>> {
  const all = (await loadCliPlugins(flags.plugin ?? []))['drift-statistic'];
  if (!flags.statistic?.length) return all;
  const chosen = createPluginRegistry('drift-statistic');
  for (const name of all.names().filter((n) => flags.statistic?.includes(n))) chosen.register(all.get(name), all.sourceOf(name));
  for (const name of flags.statistic) all.get(name); // an unknown name throws, listing the registered ones
  return chosen;
}

/** A reference profile file as JSON (checked against the model by parseReferenceProfile later); INPUT_FILE_UNREADABLE when it cannot be read. */
export async function readReferenceJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read reference ${path}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Backtesting: runs a file through the model and the drift monitor in order, as if it were
 * traffic, and reports where each alarm would have fired. Single-label rows also feed the
 * monitor's feedback, for realized accuracy beside the label-free estimate.
 */
export async function monitorReplayCommand(flags: ReplayFlags, out: NodeJS.WritableStream, plugins: CalibrationPlugins = {}): Promise<ReplayResult> {
  const json = await readReferenceJson(flags.reference);
  const engine = await openEngine(flags);
  try {
    const reference = parseReferenceProfile(json, { modelId: await engine.modelId(), labels: engine.labels });
    const alarms: DriftAlarm[] = [];
    const window = flags.window ?? reference.run_length?.settings.window ?? 300;
    const onCalibrationProgress = stepProgress(`calibrating thresholds (window ${window})`, flags.progress !== false && !flags.json) ?? undefined;
    const monitor = createDriftMonitor({
      reference,
      window: { size: window },
      alarm: { expectedRunLength: flags.expectedRunLength },
      statistics: await replayStatistics(flags),
      onAlarm: (a) => alarms.push(a),
      onCalibrationProgress,
    });
    let n = 0;
    for await (const { result, label } of predictFile(engine, flags, plugins)) {
      const id = String(n++);
      monitor.observe(result, { id });
      const parts = label?.split(',') ?? [];
      if (parts.length === 1) {
        const name = engine.labels[Number(parts[0])] ?? parts[0];
        if (engine.labels.includes(name)) monitor.recordFeedback(id, name);
      }
    }
    const status = monitor.status();
    await monitor.shutdown();
    const result: ReplayResult = {
      predictions: n,
      window,
      expected_run_length: status.runLength?.expectedRunLength ?? null,
      statistics: monitor.statistics.names(),
      final: Object.fromEntries(Object.entries(status.signals).map(([signal, s]) => [signal, s.statistics.values])),
      alarms: alarms.map(({ index, statistic, signal, value, threshold }) => ({ index, statistic, signal, value, threshold })),
      estimated_accuracy: status.estimatedAccuracy,
      realized_accuracy: status.realizedAccuracy,
    };
    if (flags.json) out.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      out.write(`${n} predictions replayed, window ${window}, expected run length ${result.expected_run_length ?? 'off'}: ${alarms.length} alarm(s)\n`);
      for (const a of result.alarms) out.write(`  at ${a.index}: ${a.statistic} on ${a.signal} = ${a.value.toFixed(4)} > ${a.threshold.toFixed(4)}\n`);
    }
    return result;
  } finally {
    await engine.dispose();
  }
}

export interface StateFlags {
  json?: boolean;
  alarms?: number;
}

/**
 * Opens a server's state database (stopped server: a running one holds it exclusively) and
 * reports what it holds: integrity, per-model window and feedback counts, reference, calibration
 * versions, audit rows, and the latest alarms. Opening it replays a WAL left by a crash.
 */
export async function monitorStateCommand(path: string, flags: StateFlags, out: NodeJS.WritableStream): Promise<StateSummary> {
  if (isPostgresUrl(path)) return sharedStateCommand(path, flags, out);
  if (!existsSync(path)) throw new GlassboxError('INPUT_FILE_UNREADABLE', `no state database at ${path}`);
  const store = openStateStore({ path });
  try {
    const summary = store.summary();
    const alarms = store.alarms(flags.alarms ?? 10);
    if (flags.json) out.write(`${JSON.stringify({ ...summary, latest_alarms: alarms }, null, 2)}\n`);
    else {
      out.write(`${path}: schema ${summary.schemaVersion}, ${summary.driver}, integrity ${summary.integrity.join('; ')}\n`);
      const span = summary.auditSpan ? ` (${summary.auditSpan.oldest} to ${summary.auditSpan.newest})` : '';
      out.write(`audit log: ${summary.auditRows} prediction(s)${span}; alarms: ${summary.alarms}\n`);
      if (summary.models.length === 0) out.write('no drift-monitor state (the server ran without a reference profile)\n');
      for (const m of summary.models) {
        out.write(
          `model ${m.modelId}: ${m.observed} observed, ${m.observations} in the window (${m.withFeedback} with feedback), ` +
            `reference ${m.reference ? 'stored' : 'none'}, calibrations ${m.calibrations.join(', ') || 'none'}` +
            `${m.activeCalibration ? ` (active ${m.activeCalibration})` : ''}, ${m.seriesPoints} series points\n`,
        );
      }
      for (const a of alarms) out.write(`  ${a.time} at ${a.index}: ${a.statistic} on ${a.signal} = ${a.value.toFixed(4)} > ${a.threshold.toFixed(4)}\n`);
    }
    if (summary.integrity.join() !== 'ok') {
      throw new GlassboxError('STORE_FAILED', `state database ${path} fails its integrity check: ${summary.integrity.slice(0, 3).join('; ')}`);
    }
    return summary;
  } finally {
    store.close();
  }
}

/**
 * `glassbox monitor state postgres://…`: what the replicas share (audit rows per replica and each
 * replica's latest heartbeat, calibration versions); running replicas may stay up.
 */
async function sharedStateCommand(url: string, flags: StateFlags, out: NodeJS.WritableStream): Promise<StateSummary> {
  const store = await openPgStateStore({ url, replicaId: 'glassbox monitor state' });
  try {
    const summary = await store.summary();
    if (flags.json) out.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      out.write(`${summary.path}: schema ${summary.schemaVersion}, ${summary.driver}\n`);
      const span = summary.auditSpan ? ` (${summary.auditSpan.oldest} to ${summary.auditSpan.newest})` : '';
      out.write(`audit log: ${summary.auditRows} prediction(s)${span}\n`);
      for (const r of summary.replicas ?? []) out.write(`replica ${r.replica}: ${r.auditRows} audit row(s), heartbeat ${r.heartbeat ?? 'none'}\n`);
      for (const m of summary.models) {
        out.write(`model ${m.modelId}: calibrations ${m.calibrations.join(', ') || 'none'}${m.activeCalibration ? ` (active ${m.activeCalibration})` : ''}\n`);
      }
    }
    return summary;
  } finally {
    await store.close();
  }
}
