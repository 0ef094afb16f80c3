import { createRequire } from 'node:module';
import { GlassboxError } from '@glassbox/core';

/**
 * The one place glassbox loads SQLite. Two synchronous drivers with near-identical APIs:
 * better-sqlite3 (an optional dependency, compiled for the Node.js that installed it) and
 * node:sqlite (built into Node.js >= 22.5). `auto` takes better-sqlite3 when it loads and
 * node:sqlite otherwise, so a tree installed under one Node.js still opens databases under
 * another. Statements take positional `?` parameters only.
 */

export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

export type SqliteValue = string | number | bigint | null | Uint8Array;

export interface SqliteStatement {
  run(...params: SqliteValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: SqliteValue[]): Record<string, unknown> | undefined;
  all(...params: SqliteValue[]): Record<string, unknown>[];
}

export interface SqliteDatabase {
  readonly driver: SqliteDriverName;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /**
   * Runs `fn` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK when it throws). Nested calls join the
   * outer transaction.
   */
  transaction<T>(fn: () => T): T;
  close(): void;
}

interface RawDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}

type RawConstructor = new (path: string) => RawDatabase;

const require = createRequire(import.meta.url);

function loadBetterSqlite3(): RawConstructor | Error {
  try {
    const Database = require('better-sqlite3') as RawConstructor;
    // The addon itself loads on first use: open a throwaway database to see it work.
    new Database(':memory:').close();
    return Database;
  } catch (error) {
    return error as Error;
  }
}

/**
 * Loads node:sqlite without its one-time "SQLite is an experimental feature" ExperimentalWarning
 * (Node 22): glassbox chooses the driver on purpose, and the two lines the warning prints would
 * break the CLI's one-line errors. Every other warning passes through.
 */
export function withoutSqliteWarning<T>(load: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' && /SQLite/i.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

function loadNodeSqlite(): RawConstructor | Error {
  try {
    const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    const mod = withoutSqliteWarning(() => getBuiltin?.('node:sqlite')) as { DatabaseSync?: RawConstructor } | undefined;
    if (mod?.DatabaseSync) return mod.DatabaseSync;
    return new Error(`node:sqlite is not built into Node.js ${process.version} (it needs >= 22.5; 22.5 to 22.12 also need --experimental-sqlite)`);
  } catch (error) {
    return error as Error;
  }
}

const LOADERS: Record<SqliteDriverName, () => RawConstructor | Error> = {
  'better-sqlite3': loadBetterSqlite3,
  'node:sqlite': loadNodeSqlite,
};

const loaded = new Map<SqliteDriverName, RawConstructor | Error>();

function load(name: SqliteDriverName): RawConstructor | Error {
  let result = loaded.get(name);
  if (result === undefined) {
    result = LOADERS[name]();
    loaded.set(name, result);
  }
  return result;
}

/** The drivers that load in this process, in the order `auto` tries them. */
export function availableSqliteDrivers(): SqliteDriverName[] {
  return (Object.keys(LOADERS) as SqliteDriverName[]).filter((name) => !(load(name) instanceof Error));
}

function pickDriver(requested: SqliteDriverName | 'auto'): { name: SqliteDriverName; Database: RawConstructor } {
  if (requested !== 'auto' && !(requested in LOADERS)) {
    throw new GlassboxError('INVALID_OPTION', `SQLite driver must be auto, better-sqlite3 or node:sqlite (got ${String(requested)}).`);
  }
  const names = requested === 'auto' ? (Object.keys(LOADERS) as SqliteDriverName[]) : [requested];
  const failures: string[] = [];
  for (const name of names) {
    const result = load(name);
    if (!(result instanceof Error)) return { name, Database: result };
    failures.push(`${name}: ${result.message.split('\n')[0]}`);
  }
  throw new GlassboxError(
    'STORE_UNAVAILABLE',
    `no SQLite driver loads on Node.js ${process.version} (${failures.join('; ')}); run npm ci with this Node.js to build better-sqlite3, or use Node.js >= 22.5 for node:sqlite.`,
  );
}

/** Wraps a driver failure (locked, corrupt, not a database) as STORE_FAILED. */
export function storeError(what: string, cause: unknown): GlassboxError {
  if (cause instanceof GlassboxError) return cause;
  return new GlassboxError('STORE_FAILED', `${what}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
}

/** Opens (creating when missing) the database at `path` (':memory:' for a private in-memory one). */
export function openSqlite(path: string, driver: SqliteDriverName | 'auto' = 'auto'): SqliteDatabase {
  const { name, Database } = pickDriver(driver);
  let raw: RawDatabase;
  try {
    raw = new Database(path);
  } catch (cause) {
    throw storeError(`cannot open the state database ${path}`, cause);
  }
  let depth = 0;
  return {
    driver: name,
    exec: (sql) => void raw.exec(sql),
    prepare: (sql) => raw.prepare(sql),
    transaction(fn) {
      if (depth > 0) return fn();
      raw.exec('BEGIN IMMEDIATE');
      depth++;
      try {
        const result = fn();
        raw.exec('COMMIT');
        return result;
      } catch (error) {
        try {
          raw.exec('ROLLBACK');
        } catch {
          // SQLite already rolled back (e.g. after SQLITE_FULL); the first error is the one to see.
        }
        throw error;
      } finally {
        depth--;
      }
    },
    close: () => void raw.close(),
  };
}
