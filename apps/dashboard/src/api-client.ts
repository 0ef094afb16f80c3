/** Typed calls to the glassbox API (same origin: the API serves this dashboard). */
import type { MetricSet } from '@glassbox/calibration';
import type { AlarmRecord, SeriesPoint as DriftSeriesPoint } from '@glassbox/monitor';

export type Probabilities = Record<string, number>;

export interface Span {
  text: string;
  start: number;
  end: number;
}

export interface Explanation {
  text: string;
  label: string;
  target: string;
  probabilities: Probabilities;
  granularity: string;
  words: Span[];
  word_attributions: Record<string, number[]>;
  class_agnostic: string[];
  faithfulness?: Record<string, { comprehensiveness_aopc: number; sufficiency_aopc: number }>;
  agreement?: { k: number; pairs: Array<{ methods: [string, string]; kendall_tau: number; top_k_overlap: number }> };
}

/** A registered plugin, as GET /v1/plugins lists it. */
export interface PluginInfo {
  kind: 'explainer' | 'calibrator' | 'abstention' | 'drift-statistic' | 'observer';
  name: string;
  description: string;
  source: string;
  requires: string[];
  /** The served model has what it requires. */
  available: boolean;
  /** Explainers: run when a request names no methods. */
  default?: boolean;
}

export interface Prediction {
  id: string;
  label: string;
  score: number;
  probabilities: Probabilities;
  raw?: { label: string; score: number; probabilities: Probabilities };
  abstained: boolean;
  abstention_reason: string | null;
  conformal_set?: string[];
  truncated: boolean;
}

export interface PredictResponse {
  model: string;
  calibrated: boolean;
  predictions: Prediction[];
}

export interface AuditEntry {
  id: string;
  time: string;
  calibrated: boolean;
  label: string;
  score: number;
  probabilities: Probabilities;
  abstained: boolean;
  abstention_reason: string | null;
  truncated: boolean;
  text?: string;
}

// The same shapes the API serves, straight from the library that defines them.
export type { MetricSet, ReliabilityBin } from '@glassbox/calibration';

export interface CalibrationInfo {
  model: { id: string; name: string; labels: string[] };
  method: string;
  params: Record<string, unknown>;
  fitted_on: { count: number; sha256: string };
  metrics: { before: MetricSet; after: MetricSet } | null;
  conformal: { method: string; alpha: number; qhat: number } | null;
  certificate: ({ rule: string; threshold: number } & Record<string, unknown>) | null;
  created_at: string;
}

export interface Decision {
  statistic: string;
  alarm: boolean;
  value: number;
  threshold: number;
  reason: string;
}

export interface Signal {
  kind: string;
  psi: number;
  js_distance: number;
  ks: number;
  chi_square: { statistic: number; df: number; p_value: number };
  alarm: boolean;
  decisions: Decision[];
  /** Upper-inclusive bucket boundaries (counts have one more, +Inf); empty for labels. */
  buckets: number[];
  /** Per bucket, or keyed by label for the labels signal. */
  reference_counts: number[] | Record<string, number>;
  window_counts: number[] | Record<string, number>;
}

/** A point of GET /v1/monitor/series. */
export type SeriesPoint = DriftSeriesPoint;

/** A drift alarm as /v1/monitor and /v1/monitor/history serve it. */
export type Alarm = AlarmRecord;

export interface MonitorStatus {
  observed: number;
  window: number;
  window_size: number;
  reference: { n: number; mean_confidence: number; calibration: string | null };
  signals: Record<string, Signal>;
  estimated_accuracy: number | null;
  realized_accuracy: number | null;
  accuracy_gap: number | null;
  labelled: number;
  alarms: Alarm[];
}

/** An error reply of the API: its status and error_type ('NETWORK' when no reply came). */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  } catch (error) {
    throw new ApiCallError(0, 'NETWORK', `could not reach the API: ${String(error)}`);
  }
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const e = (body ?? {}) as { error?: string; error_type?: string };
    throw new ApiCallError(res.status, e.error_type ?? 'HTTP_' + String(res.status), e.error ?? res.statusText);
  }
  return body as T;
}

const post = <T>(path: string, body: unknown) => call<T>(path, { method: 'POST', body: JSON.stringify(body) });

export const api = {
  predict: (text: string) => post<PredictResponse>('v1/predict', { inputs: [text] }),
  plugins: () => call<{ plugins: PluginInfo[] }>('v1/plugins'),
  explain: (text: string, methods?: string[]) => post<Explanation>('v1/explain', { inputs: text, granularity: 'word', faithfulness: true, methods }),
  explainPlain: (text: string, methods?: string[]) => post<Explanation>('v1/explain', { inputs: text, granularity: 'word', methods }),
  predictions: (limit = 20) => call<{ predictions: AuditEntry[]; size: number }>(`v1/predictions?limit=${limit}`),
  prediction: (id: string) => call<AuditEntry>(`v1/predictions/${encodeURIComponent(id)}`),
  calibration: () => call<CalibrationInfo>('v1/calibration'),
  monitor: () => call<MonitorStatus>('v1/monitor'),
  series: () => call<{ points: SeriesPoint[] }>('v1/monitor/series'),
  history: (limit = 50) => call<{ alarms: Alarm[] }>(`v1/monitor/history?limit=${limit}`),
};
