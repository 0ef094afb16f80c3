import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

/**
 * A throwaway PostgreSQL cluster for tests, through tools/fleet/postgres.sh (the script
 * docs/deployment.md gives developers): started once per test file in a temporary directory on a
 * free loopback port, stopped and removed by `stop()`. Test-only: other projects import it as
 * `@glassbox/monitor/testing` (a development-only export).
 */

const SCRIPT = fileURLToPath(new URL('../../../tools/fleet/postgres.sh', import.meta.url));
const run = promisify(execFile);

/** Why PostgreSQL tests skip here, or null when the binaries are installed. */
export function postgresMissing(): string | null {
  const bins = process.env['PG_BIN'] ?? (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`)[0] : undefined);
  return bins && existsSync(join(bins, 'pg_ctl')) ? null : 'PostgreSQL tests skipped: no initdb/pg_ctl (apt-get install postgresql, or set PG_BIN)';
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface TestPostgres {
  /** postgres:// URL of the cluster's default database. */
  readonly url: string;
  /** A new empty database on the cluster, as a URL. */
  createDatabase(name: string): Promise<string>;
  /** Immediate shutdown, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again (after kill) on the same port and data. */
  restart(): Promise<void>;
  /** Stops the cluster (immediately: its data is thrown away) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const parent = mkdtempSync(join(tmpdir(), 'glassbox-pg-'));
  chmodSync(parent, 0o711); // the postgres user must reach its directory inside
  const dir = join(parent, 'pg');
  const port = String(await freePort());
  const script = (cmd: string) => run('bash', [SCRIPT, cmd, dir, port], { timeout: 120_000 });
  let url: string;
  try {
    url = (await script('start')).stdout.trim();
  } catch (error) {
    await script('kill').catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    kill: async () => void (await script('kill')),
    restart: async () => void (await script('start')),
    async stop() {
      if (stopped) return;
      stopped = true;
      await script('kill').catch(() => undefined);
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

export interface FilePostgres {
  /** Why PostgreSQL tests skip here (also logged once), or null. */
  readonly missing: string | null;
  /** A new empty database named `prefix_<n>` on this file's cluster, as a URL. */
  database(prefix: string): Promise<string>;
}

/** One cluster for the calling test file: started before its tests, stopped after them. */
export function usePostgresForFile(): FilePostgres {
  const missing = postgresMissing();
  if (missing) console.warn(missing);
  let postgres: TestPostgres | null = null;
  let databases = 0;
  beforeAll(async () => {
    if (!missing) postgres = await startTestPostgres();
  }, 180_000);
  afterAll(() => postgres?.stop(), 120_000);
  return {
    missing,
    async database(prefix) {
      if (!postgres) throw new Error(missing ?? 'PostgreSQL did not start');
      return postgres.createDatabase(`${prefix}_${++databases}`);
    },
  };
}
