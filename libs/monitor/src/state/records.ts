import type { DriftSignal } from '../drift-types.js';
import type { SqliteDriverName } from '../sqlite.js';

/** The rows of the state database as the store hands them out, and its retention limits. */

export interface StateRetention {
  /** Newest audit rows kept (default 10000; 0 keeps none). */
  auditRows?: number;
  /** Audit rows older than this many milliseconds are dropped (default: no age limit). */
  auditMaxAgeMs?: number;
  /** Newest observations kept per model: at least the drift window (default 100000). */
  observations?: number;
  /** Newest alarms kept (default 1000). */
  alarms?: number;
  /** Newest drift series points kept per model (default 500). */
  seriesPoints?: number;
}

/** One observed prediction, as the drift window needs it back after a restart. */
export interface StoredObservation {
  /** 0-based index among the model's observed predictions. */
  index: number;
  /** Milliseconds since the epoch. */
  time: number;
  modelId: string;
  calibrationId: string | null;
  /** The id clients saw, for feedback; null when it had none. */
  predictionId: string | null;
  /** Index of the predicted label. */
  label: number;
  confidence: number;
  margin: number;
  entropy: number;
  /** Index of the true label, once feedback arrived. */
  truth: number | null;
}

/** A drift alarm as it is logged, stored and served. */
export interface AlarmRecord {
  /** ISO 8601 time it fired. */
  time: string;
  /** 0-based index of the observed prediction that tipped it. */
  index: number;
  signal: string;
  statistic: string;
  value: number;
  threshold: number;
  reason: string;
  model_id: string;
  calibration_id: string | null;
}

/** One point of the drift time series (the API's GET /v1/monitor/series). */
export interface SeriesPoint {
  /** ISO 8601 time it was taken. */
  time: string;
  /** Predictions observed since start. */
  observed: number;
  /** Predictions in the window. */
  window: number;
  psi: Record<DriftSignal, number>;
  js: Record<DriftSignal, number>;
  /** Share of window predictions per predicted label (model label order). */
  label_shares: Record<string, number>;
}

/** A calibration version as stored: the file (as JSON text) and its version id. */
export interface StoredCalibration {
  version: string;
  /** The calibration file, parsed JSON. */
  file: unknown;
}

/** What a state database holds, per model and in all (`glassbox monitor state`). */
export interface StateSummary {
  /** The file, or (PostgreSQL) the URL without its password. */
  path: string;
  driver: SqliteDriverName | 'pg';
  schemaVersion: number;
  /** SQLite's integrity_check: ['ok'] for a sound database. */
  integrity: string[];
  auditRows: number;
  /** Time of the oldest and newest audit rows (ISO 8601), null when there are none. */
  auditSpan: { oldest: string; newest: string } | null;
  alarms: number;
  models: Array<{
    modelId: string;
    /** Predictions ever observed (the next index). */
    observed: number;
    /** Observations kept (the window's, at most). */
    observations: number;
    withFeedback: number;
    reference: boolean;
    calibrations: string[];
    activeCalibration: string | null;
    seriesPoints: number;
  }>;
  /** PostgreSQL: the replicas that wrote audit rows or heartbeats, with their audit rows and latest heartbeat. */
  replicas?: Array<{ replica: string; auditRows: number; heartbeat: string | null }>;
}

/** Retention with its defaults filled in; `auditMaxAgeMs` null for no age limit. */
export type ResolvedRetention = Readonly<Required<Omit<StateRetention, 'auditMaxAgeMs'>> & { auditMaxAgeMs: number | null }>;
