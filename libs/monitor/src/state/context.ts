import { GlassboxError } from '@glassbox/core';
import type { SqliteDatabase, SqliteStatement } from '../sqlite.js';
import { storeError } from '../sqlite.js';
import type { ResolvedRetention } from './records.js';

/**
 * What every table module of the state store shares: the connection, cached statements, the
 * guard that turns driver failures into STORE_FAILED, the retention and the clock.
 */
export interface StoreContext {
  readonly db: SqliteDatabase;
  readonly path: string;
  readonly retention: ResolvedRetention;
  readonly now: () => number;
  /** A prepared statement, cached by its text. */
  sql(text: string): SqliteStatement;
  /** Runs a database operation; driver failures become STORE_FAILED naming `what`, and so does a closed store. */
  guard<T>(what: string, fn: () => T): T;
  /** Closes the connection once; later guarded calls fail with STORE_FAILED. */
  close(): void;
}

export function createStoreContext(db: SqliteDatabase, path: string, retention: ResolvedRetention, now: () => number): StoreContext {
  const statements = new Map<string, SqliteStatement>();
  let closed = false;
  return {
    db,
    path,
    retention,
    now,
    sql(text) {
      let statement = statements.get(text);
      if (!statement) {
        statement = db.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    guard(what, fn) {
      if (closed) throw new GlassboxError('STORE_FAILED', `cannot ${what}: the state database ${path} is closed`);
      try {
        return fn();
      } catch (cause) {
        throw storeError(`cannot ${what} in ${path}`, cause);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      statements.clear();
      db.close();
    },
  };
}

export const num = (v: unknown): number => Number(v);
export const nullableNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const nullableStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
