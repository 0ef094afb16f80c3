/**
 * Typed calls to the glassbox API (same origin: the API serves this dashboard). Every shape is
 * type-imported from the library that defines it (zod schema plus inferred type); `import type`
 * is erased at build time, so no server code reaches the browser bundle.
 */
import type { CalibrationInfo } from '@glassbox/calibration';
import type { PredictionView, PublicPluginInfo } from '@glassbox/core';
import type { Explanation } from '@glassbox/explain';
import type { AlarmRecord, AuditEntry, MonitorStatus, SeriesPoint as DriftSeriesPoint, SignalView } from '@glassbox/monitor';
import { askForKey, storedKey } from './key-prompt.js';

export type { AuditEntry, CalibrationInfo, Explanation, MonitorStatus };
export type { MetricSet, ReliabilityBin } from '@glassbox/calibration';
/** One signal of GET /v1/monitor. */
export type Signal = SignalView;

/** A prediction of POST /v1/predict: the prediction view with the id and feedback token the API adds. */
export type Prediction = PredictionView & { id: string; feedback_token: string };

/** A registered plugin, as GET /v1/plugins lists it. */
export type PluginInfo = PublicPluginInfo;

export interface PredictResponse {
  model: string;
  calibrated: boolean;
  predictions: Prediction[];
}

/** A point of GET /v1/monitor/series. */
export type SeriesPoint = DriftSeriesPoint;

/** A drift alarm as /v1/monitor and /v1/monitor/history serve it. */
export type Alarm = AlarmRecord;

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

async function send(path: string, init: RequestInit | undefined, key: string | null): Promise<Response> {
  try {
    return await fetch(path, { ...init, headers: { 'content-type': 'application/json', ...(key !== null && { authorization: `Bearer ${key}` }), ...init?.headers } });
  } catch (error) {
    throw new ApiCallError(0, 'NETWORK', `could not reach the API: ${String(error)}`);
  }
}

/** One API call; a 401 asks for the API key (kept in sessionStorage) and retries with it until it is accepted or the form is cancelled. */
async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let key = storedKey();
  let res = await send(path, init, key);
  while (res.status === 401) {
    const entered = await askForKey(key !== null);
    if (entered === null) break;
    key = entered;
    res = await send(path, init, key);
  }
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const e = (body ?? {}) as { error?: string; error_type?: string };
    const hint = res.status === 401 ? ' (this server needs its API key: reload the page to enter it)' : '';
    throw new ApiCallError(res.status, e.error_type ?? 'HTTP_' + String(res.status), (e.error ?? res.statusText) + hint);
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
  /** The served model's limits (TEI's GET /info): max_input_length is the most tokens the model reads, special tokens included. */
  info: () => call<{ max_input_length: number }>('info'),
  monitor: () => call<MonitorStatus>('v1/monitor'),
  series: () => call<{ points: SeriesPoint[] }>('v1/monitor/series'),
  history: (limit = 50) => call<{ alarms: Alarm[] }>(`v1/monitor/history?limit=${limit}`),
};
