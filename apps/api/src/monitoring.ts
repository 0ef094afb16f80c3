import { readFile } from 'node:fs/promises';
import { GlassboxError, type DriftStatisticPlugin, type PluginRegistry } from '@glassbox/core';
import {
  createMetricsRegistry,
  createMonitorSession,
  reportOncePerMessage,
  type MetricsRegistry,
  type MonitorBatch,
  type MonitorSession,
  type StateStore,
} from '@glassbox/monitor';
import type { ApiMeter, LogSink } from './api-options.js';

/**
 * The server's wiring of the monitor: a metrics registry (served at /metrics) and the monitor
 * session of libs/monitor (drift monitor, alarm log, series, persistence; see
 * createMonitorSession), whose store writes count in the server's state-write health.
 */

/** Predictions of one classify call, as the model service hands them over. */
export type ObservedBatch = MonitorBatch;

export interface MonitoringOptions {
  modelId: string;
  labels: readonly string[];
  /** Identity of the calibration of the default view now (it changes when a version is selected); null without one. */
  calibrationId: () => string | null;
  /** Abstention rule names (bounded `reason` attribute values). */
  abstentionRules: readonly string[];
  /** A parsed-JSON reference profile, or null for no drift monitor. */
  reference: unknown;
  window: number;
  /** Predictions between false drift alarms under no drift (default 200,000; null: per-window tests). */
  expectedRunLength?: number | null;
  /** The drift statistics computed, gauged and alarmed on. Default: the built-ins. */
  statistics?: PluginRegistry<DriftStatisticPlugin>;
  log: LogSink;
  /** Default: the registry's meter. */
  meter: ApiMeter | null;
  /** Monitor, meter, log and collection failures. */
  onError: (error: unknown) => void;
  /** Where the window's observations, alarms and series points are kept across restarts. Null: in memory only. */
  store?: StateStore | null;
  /** Told the outcome of each store write (null: it worked). Default: failures go to `onError`. */
  writes?: { record(error: unknown): void };
  /** Most alarms kept in the alarm log (default 1000). */
  alarmLogLimit?: number;
  /** A series point every this many predictions (default 20). */
  seriesEvery?: number;
  /** Most series points kept (default 500). */
  seriesLimit?: number;
  now?: () => number;
}

/** The monitor session (`observe` is its observeBatch) with the server's metrics registry. */
export interface Monitoring extends Omit<MonitorSession, 'observeBatch'> {
  readonly metrics: MetricsRegistry;
  observe(batch: ObservedBatch): void;
}

/** Reads a reference profile file as JSON (its content is checked against the model later). */
export async function readReferenceFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read reference profile ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GlassboxError('INVALID_INPUT', `reference profile ${path} is not JSON: ${(cause as Error).message}`, { cause });
  }
}

export function createMonitoring(options: MonitoringOptions): Monitoring {
  const report = reportOncePerMessage(options.onError);
  const metrics = createMetricsRegistry({ onError: report });
  const writes = options.writes;
  const session = createMonitorSession({
    ...options,
    meter: options.meter ?? metrics.meter(),
    onError: report,
    ...(writes && { onWrite: (error: unknown) => writes.record(error) }),
  });
  let shutdown: Promise<void> | null = null;
  return {
    ...session, // its methods close over the session: no `this`
    metrics,
    observe: session.observeBatch,
    shutdown() {
      // The session first (its gauges leave the registry), then the registry flushes and stops.
      shutdown ??= session.shutdown().then(() => metrics.shutdown());
      return shutdown;
    },
  };
}
