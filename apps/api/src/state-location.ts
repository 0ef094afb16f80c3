import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isPostgresUrl, redactUrl } from '@glassbox/monitor';

/**
 * Where `glassbox serve` keeps its state when nothing says otherwise: an SQLite file in a data
 * directory under the working directory, as Prometheus keeps `data/`. The library
 * (createApiServer) stays in memory unless given a statePath: libraries should be explicit.
 */
export const DEFAULT_STATE_PATH = 'glassbox-data/state.db';

/** The statePath that keeps nothing: state lives in memory and is gone with the process. */
export const IN_MEMORY_STATE = ':memory:';

export interface StateLocationChoices {
  /** --state */
  flag?: string;
  /** $GLASSBOX_STATE */
  env?: string;
  /** `statePath` of the config file */
  config?: string;
}

export interface StateLocation {
  /** An absolute file path, ':memory:', or a postgres:// URL (shared by replicas). */
  path: string;
  persistent: boolean;
  /** Which setting chose it (the first given of flag, env, config), or 'default'. */
  source: 'flag' | 'env' | 'config' | 'default';
  /** The startup line saying where the state lives and whether it survives a restart. */
  description: string;
}

const KEPT = 'the audit trail, feedback, drift window and calibration versions';

/**
 * The state location of a server started from the command line: --state, then
 * $GLASSBOX_STATE, then the config file's statePath, then ./glassbox-data/state.db under `cwd`.
 * ':memory:' opts out of persistence. Empty strings count as not given.
 */
export function resolveStateLocation(choices: StateLocationChoices, cwd: string = process.cwd()): StateLocation {
  const given = (['flag', 'env', 'config'] as const).find((k) => typeof choices[k] === 'string' && choices[k] !== '');
  const raw = given ? (choices[given] as string) : DEFAULT_STATE_PATH;
  const source = given ?? 'default';
  if (raw === IN_MEMORY_STATE) {
    return {
      path: IN_MEMORY_STATE,
      persistent: false,
      source,
      description: `state in memory (${IN_MEMORY_STATE}): nothing will survive a restart; ${KEPT} are lost when the server stops`,
    };
  }
  if (isPostgresUrl(raw)) {
    return {
      path: raw,
      persistent: true,
      source,
      description: `state in PostgreSQL ${redactUrl(raw)}, shared with every replica on it: the audit trail, feedback and calibration versions (the drift window stays in memory per replica)`,
    };
  }
  const path = resolve(cwd, raw);
  return {
    path,
    persistent: true,
    source,
    description: `state in ${path} (SQLite, WAL${source === 'default' ? `; the default, ./${DEFAULT_STATE_PATH}` : ''}): ${KEPT} survive restarts`,
  };
}

/** Creates the directory of a persistent location (with its parents) when missing. */
export async function prepareStateLocation(location: StateLocation): Promise<void> {
  if (location.persistent && !isPostgresUrl(location.path)) await mkdir(dirname(location.path), { recursive: true });
}
