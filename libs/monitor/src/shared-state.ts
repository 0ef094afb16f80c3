import type { AuditEntry, AuditFeedback, AuditFilter, AuditLog, AuditPage } from './audit-log.js';
import type { StoredCalibration } from './state/records.js';

/**
 * The state a server's routes read and write, asynchronous so that a network database
 * (PostgreSQL, shared by replicas) can serve it as well as the embedded SQLite store or memory.
 * `fromAuditLog` and `fromCalibrationStore` adapt the synchronous ones.
 */

/** The audit log (AuditLog's contract), each call a promise. */
export interface AsyncAuditLog {
  readonly limit: number;
  /** Entries held now. */
  size(): Promise<number>;
  /** Adds entries in order, all or none; resolves once they are committed. */
  addAll(entries: readonly AuditEntry[]): Promise<void>;
  get(id: string): Promise<AuditEntry | undefined>;
  list(limit: number, cursor?: string, filter?: AuditFilter): Promise<AuditPage>;
  addFeedback(id: string, feedback: AuditFeedback): Promise<boolean>;
  feedbackHistory(id: string): Promise<AuditFeedback[]>;
}

/** Calibration versions and the active one, per model. */
export interface AsyncCalibrationStore {
  saveCalibration(modelId: string, version: string, file: unknown): Promise<void>;
  /**
   * Stores `file` as a new version `v<n>`, n one past the highest stored for the model, and
   * resolves to its id: unique even when replicas add versions at the same instant.
   */
  addCalibration(modelId: string, file: unknown): Promise<string>;
  calibrations(modelId: string): Promise<StoredCalibration[]>;
  setActiveCalibration(modelId: string, version: string | null): Promise<void>;
  activeCalibration(modelId: string): Promise<string | null>;
  /**
   * A store other processes write (PostgreSQL): calls `listener` with a model id when a version
   * of that model is added or its selection changes, or with null when changes may have been
   * missed (after a reconnection). A speed-up: readers still poll.
   */
  watchCalibrations?(listener: (modelId: string | null) => void): CalibrationWatch;
}

export interface CalibrationWatch {
  /** Resolves once the watch is in place (or its first attempt failed; it keeps retrying). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Runs a synchronous call as a promise: a throw becomes a rejection. */
const later =
  <A extends unknown[], R>(fn: (...args: A) => R) =>
  async (...args: A): Promise<R> =>
    fn(...args);

/** The synchronous audit log (memory or SQLite) behind the asynchronous interface. */
export function fromAuditLog(log: AuditLog): AsyncAuditLog {
  return {
    limit: log.limit,
    size: later(() => log.size),
    addAll: later((entries: readonly AuditEntry[]) => log.addAll(entries)),
    get: later((id: string) => log.get(id)),
    list: later((limit: number, cursor?: string, filter?: AuditFilter) => log.list(limit, cursor, filter)),
    addFeedback: later((id: string, feedback: AuditFeedback) => log.addFeedback(id, feedback)),
    feedbackHistory: later((id: string) => log.feedbackHistory(id)),
  };
}

/** A synchronous calibration store (the SQLite StateStore) behind the asynchronous interface. */
export function fromCalibrationStore(store: {
  saveCalibration(modelId: string, version: string, file: unknown): void;
  addCalibration(modelId: string, file: unknown): string;
  calibrations(modelId: string): StoredCalibration[];
  setActiveCalibration(modelId: string, version: string | null): void;
  activeCalibration(modelId: string): string | null;
}): AsyncCalibrationStore {
  return {
    saveCalibration: later((m: string, v: string, f: unknown) => store.saveCalibration(m, v, f)),
    addCalibration: later((m: string, f: unknown) => store.addCalibration(m, f)),
    calibrations: later((m: string) => store.calibrations(m)),
    setActiveCalibration: later((m: string, v: string | null) => store.setActiveCalibration(m, v)),
    activeCalibration: later((m: string) => store.activeCalibration(m)),
  };
}
