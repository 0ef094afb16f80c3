import type { PluginRegistries } from '@glassbox/core';
import type { AdminAccess } from './access-control.js';
import type { ResolvedApiOptions } from './api-options.js';
import type { FeedbackTokens } from './feedback-token.js';
import type { AsyncAuditLog, AsyncCalibrationStore, StateStore } from '@glassbox/monitor';
import type { MicroBatcherStats } from './micro-batcher.js';
import type { LoadStats, ModelService } from './model-service.js';
import type { Monitoring } from './monitoring.js';
import type { StateWrites } from './state-writes.js';

/** 'ready' once the model is loaded and warmed; 'closing' from close() until it resolves. */
export type ServerState = 'ready' | 'closing' | 'closed';

export interface ApiServerStats {
  state: ServerState;
  /** HTTP requests received, and those not yet answered. */
  requests: { total: number; inFlight: number };
  /**
   * The micro-batcher: `batches` counts classify calls, `items` the texts they carried; `queued`
   * and `queuedCost` (tokens) the queue now, `shed` the requests refused with 503, `dropped` the
   * texts of clients that went away before they reached the model.
   */
  batcher: MicroBatcherStats;
  /** Client errors of the classes the client-error guard handles (malformed, oversized, slow requests), per error_type. */
  clientErrors: Record<string, number>;
  /** The model's lanes, the explanations' queue and the worker threads. */
  load: LoadStats;
  uptimeSeconds: number;
}

/** What route handlers see of the server. */
export interface ApiContext {
  readonly options: ResolvedApiOptions;
  readonly service: ModelService;
  /** Every plugin kind's registry: the built-ins and the plugins option's files and packages. */
  readonly plugins: PluginRegistries;
  /** Metrics registry, drift monitor (when configured) and alarm log. */
  readonly monitoring: Monitoring;
  /** The most recent /v1/predict results (in the state database when there is one; shared with PostgreSQL). */
  readonly audit: AsyncAuditLog;
  /** The SQLite state database; null when the server keeps its state in memory or in PostgreSQL. */
  readonly store: StateStore | null;
  /** Calibration versions and the active one (SQLite or PostgreSQL); null in memory. */
  readonly calibrationStore: AsyncCalibrationStore | null;
  /** With a shared store (PostgreSQL): how often the fleet's active calibration is read; else null. */
  readonly calibrationPollMs: number | null;
  /** Runs `fn` when the server closes (timers of the routes). */
  onClose(fn: () => void): void;
  /** Who may use the admin and write routes: the API key, or loopback clients without one. */
  readonly adminAccess: AdminAccess;
  /** Signs and checks the feedback_token of each /v1/predict prediction. */
  readonly feedbackTokens: FeedbackTokens;
  /** Whether state writes work: writes a response depends on go through `writes.run`. */
  readonly writes: StateWrites;
  /** The @glassbox/api version. */
  readonly version: string;
  state(): ServerState;
  stats(): ApiServerStats;
  openApi(): Record<string, unknown>;
  /** Hands an unexpected error to the onError option; never throws. */
  reportError(error: unknown): void;
}
