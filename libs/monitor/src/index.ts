export {
  assertBoundaries,
  bucketCounts,
  bucketIndex,
  CONFIDENCE_BUCKETS,
  DURATION_BUCKETS,
  ENTROPY_BUCKETS,
  MARGIN_BUCKETS,
} from './buckets.js';

export { chiSquareQuantile, chiSquareSurvival, logGamma, regularizedGammaQ } from './chi-square.js';

export { driftStatistics, fromCumulative } from './drift-statistics.js';
export { BUILTIN_DRIFT_STATISTICS, builtinDriftStatistics } from './statistics/builtin-statistics.js';
export type { ChiSquareTest, DriftStatistics, DriftStatisticsOptions } from './drift-statistics.js';

export { ALARM_DEFAULTS, chiSquareAlarm, evaluateAlarms, hasAlarmRule, ksAlarm, psiAlarm, resolveAlarmOptions, statisticAlarm } from './alarm-rule.js';
export type { AlarmDecision, AlarmInput, AlarmOptions, DriftStatisticName, ResolvedAlarmOptions, SignalKind } from './alarm-rule.js';

export { createCountWindow, createTimeWindow } from './sliding-window.js';
export type { CountWindowOptions, SlidingWindow, SlidingWindowOptions, TimeWindowOptions } from './sliding-window.js';

export { predictionSignals, probabilityVector } from './prediction-signals.js';
export type { PredictionSignals, ProbabilityInput } from './prediction-signals.js';

export { buildReferenceProfile, DEFAULT_SIGNAL_BUCKETS, parseReferenceProfile } from './reference-profile.js';
export type {
  BuildReferenceProfileOptions,
  ReferenceProfile,
  ReferenceProfileExpectation,
  SignalBuckets,
} from './reference-profile.js';

export { createReasonClassifier } from './abstention-reason.js';

export { ATTR_CALIBRATION_ID, ATTR_MODEL_ID, createDriftInstruments, createPredictionInstruments, driftMetricName, METRIC_NAMES } from './drift-instruments.js';
export type { DriftInstruments, PredictionInstruments } from './drift-instruments.js';

export { createDriftMonitor } from './drift-monitor.js';
export { DRIFT_SIGNALS } from './drift-types.js';
export type {
  DriftAlarm,
  DriftMonitor,
  DriftMonitorOptions,
  DriftSignal,
  DriftStatus,
  RunLengthStatus,
  DriftWindowOptions,
  MonitorObservation,
  MonitorState,
  ObserveMeta,
  SignalStatus,
} from './drift-types.js';

export { createDriftSeries, seriesPoint } from './drift-series.js';
export type { DriftSeries, DriftSeriesOptions } from './drift-series.js';

export { createMonitorPersistence, restoreFromStore } from './monitor-persistence.js';
export type { MonitorPersistence, MonitorPersistenceOptions } from './monitor-persistence.js';

export { createMonitorSession, reportOncePerMessage } from './monitor-session.js';
export type { MonitorBatch, MonitorSession, MonitorSessionOptions } from './monitor-session.js';

export { checkAuditLimit, createMemoryAuditLog, CURSOR_PATTERN, matchesAuditFilter, parseCursor } from './audit-log.js';
export { AuditEntrySchema, AuditFeedbackSchema } from './audit-entry.js';
export {
  AlarmDecisionViewSchema,
  AlarmRecordSchema,
  monitorStatusSchemas,
  MonitorStatusSchema,
  SeriesPointSchema,
  SignalViewSchema,
  statisticNameSchema,
} from './monitor-status-schema.js';
export type { AlarmDecisionView, MonitorStatus, SignalView } from './monitor-status-schema.js';
export type { AuditEntry, AuditFeedback, AuditFilter, AuditLog, AuditPage } from './audit-log.js';

export { availableSqliteDrivers, openSqlite } from './sqlite.js';
export type { SqliteDatabase, SqliteDriverName, SqliteStatement, SqliteValue } from './sqlite.js';

export { openStateStore, STATE_SCHEMA_VERSION } from './state-store.js';
export type {
  AlarmRecord,
  ResolvedRetention,
  StateRetention,
  StateStore,
  StateStoreOptions,
  SeriesPoint,
  StateSummary,
  StoredCalibration,
  StoredObservation,
} from './state-store.js';

export { fromAuditLog, fromCalibrationStore } from './shared-state.js';
export type { AsyncAuditLog, AsyncCalibrationStore, CalibrationWatch } from './shared-state.js';
export { CALIBRATION_CHANNEL, isPostgresUrl, openPgStateStore, redactUrl } from './pg/pg-state-store.js';
export type { PgStateStore, PgStateStoreOptions } from './pg/pg-state-store.js';
export { PG_SCHEMA_VERSION } from './pg/pg-schema.js';

export { createStateWriteHealth, observeStateWriteHealth, STATE_WRITE_METRICS } from './state-write-health.js';
export type { StateWriteHealth, StateWriteHealthOptions } from './state-write-health.js';

export { createMetricsRegistry, PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
export type { MetricsRegistry, MetricsRegistryOptions, PrometheusOptions } from './prometheus.js';

export {
  OTEL_METRICS_DEFAULTS,
  OTEL_METRICS_EXPORTER_VALUES,
  otelMetricsResource,
  resolveOtelMetricsEnv,
  SUPPORTED_OTLP_PROTOCOLS,
} from './otel-env.js';
export type { MetricsExporterName, OtelEnv, OtelMetricsConfig, OtlpMetricsConfig, OtlpProtocol } from './otel-env.js';

export {
  baseCritical,
  calibrateRunLength,
  gumbelFit,
  parseRunLengthCalibration,
  resolveRunLength,
  RUN_LENGTH_DEFAULTS,
  RUN_LENGTH_VERSION,
  RunLengthCalibrationSchema,
  runLengthMismatch,
  runLengthSettings,
} from './run-length.js';
export type { RunLengthCalibration, RunLengthOptions, RunLengthSettings } from './run-length.js';
export { flatten, runLengthEstimate, shiftLabelShares, simulateDetectionDelay, simulateRunLength } from './run-length-simulation.js';
export type { DelaySummary, DetectionDelay, ProbabilityRows, RunLengthEstimate, RunLengthSimulation, SimulationOptions } from './run-length-simulation.js';
