import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createApiServer, isLoopbackHost, prepareStateLocation, resolveStateLocation, type ApiServer, type ApiServerOptions } from '@glassbox/api';
import { GlassboxError } from '@glassbox/core';
import { loadOptionsFromFlags, type LoadFlags } from './serve-load-flags.js';
import { defaultModelDir } from './shared.js';

export interface ServeFlags extends LoadFlags {
  model?: string[];
  port?: number;
  host?: string;
  config?: string;
  /** A file, or false for --no-calibration (not even the model bundle's). */
  calibration?: string | false;
  /** A file, or false for --no-reference (neither the bundle's nor a stored one). */
  reference?: string | false;
  storeText?: boolean;
  state?: string;
  replicaId?: string;
  auditLimit?: number;
  auditMaxAgeDays?: number;
  monitorWindow?: number;
  expectedRunLength?: number;
  abstain?: string;
  workers?: number;
  threads?: number;
  spinning?: boolean;
  variant?: 'fp32' | 'quantized';
  apiKey?: string;
  apiKeyFile?: string;
  allowedHost?: string[];
  cors?: string[];
  maxBatchSize?: number;
  maxWaitMs?: number;
  /** Plugin files or packages (--plugin, repeatable), after the config file's `plugins`. */
  plugin?: string[];
}

/** A plugin spec that is a path, resolved from `base`; a package name as it is. */
function pluginPath(spec: string, base: string): string {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(m|c)?[jt]s$/.test(spec) ? resolve(base, spec) : spec;
}

/** A URL fit for a log line: user and password removed. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return '(unparseable URL)';
  }
}

/** The files a model bundle ships for serving: used unless a flag or the config says otherwise. */
export const BUNDLE_CALIBRATION = 'calibration.json';
export const BUNDLE_REFERENCE = 'reference.json';

/**
 * The model bundle's calibration and reference, where the bundle has them and nothing chose
 * otherwise: one model (not an ensemble), its fp32 graph (they are fitted on model.onnx), no
 * --calibration/--reference (nor --no-...) and no calibrationPath/referencePath in the config.
 */
export function bundleDefaults(
  flags: Pick<ServeFlags, 'calibration' | 'reference' | 'variant'>,
  models: readonly string[],
  fromFile: Pick<ApiServerOptions, 'calibrationPath' | 'referencePath'>,
): { calibration: string | null; reference: string | null } {
  const none = { calibration: null, reference: null };
  if (models.length !== 1 || flags.variant === 'quantized') return none;
  const file = (name: string) => (existsSync(join(models[0], name)) ? join(models[0], name) : null);
  return {
    calibration: flags.calibration === undefined && fromFile.calibrationPath === undefined ? file(BUNDLE_CALIBRATION) : null,
    reference: flags.reference === undefined && fromFile.referencePath === undefined ? file(BUNDLE_REFERENCE) : null,
  };
}

/** The start-up line that says which drift reference is in use, where from, and how to change it. */
function referenceLine(server: ApiServer, statePath: string): string {
  const r = server.reference;
  if (r === null) return 'glassbox: no drift reference, so no drift monitor (the Drift tab and /v1/monitor stay empty): give --reference FILE from `glassbox monitor reference`';
  const size = `${r.n} predictions`;
  if (r.source === 'stored') {
    return `glassbox: drift reference: the one an earlier start stored in ${statePath} (${size}); --reference FILE replaces it, --no-reference ignores it`;
  }
  if (r.source === 'default') return `glassbox: drift reference: the model bundle's ${r.path} (${size}); --reference FILE for another, --no-reference for none`;
  return `glassbox: drift reference: ${r.path} (${size}), stored for later starts`;
}

/** The key in a file: its content without surrounding whitespace (a trailing newline is usual). */
async function readKeyFile(path: string, from: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read the API key file ${path} (${from}): ${(cause as Error).message}`, { cause });
  }
  const key = text.trim();
  if (key === '') throw new GlassboxError('INVALID_OPTION', `the API key file ${path} (${from}) is empty`);
  return key;
}

/**
 * The API key and where it came from, first found of: --api-key-file, --api-key,
 * $GLASSBOX_API_KEY_FILE, $GLASSBOX_API_KEY, the config file's apiKeyFile, its apiKey.
 */
async function resolveApiKey(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  fromFile: { apiKey?: string; apiKeyFile?: string },
): Promise<{ key: string; from: string } | null> {
  if (flags.apiKey !== undefined && flags.apiKeyFile !== undefined) {
    throw new GlassboxError('INVALID_OPTION', 'give --api-key-file or --api-key, not both');
  }
  if (flags.apiKeyFile !== undefined) return { key: await readKeyFile(flags.apiKeyFile, '--api-key-file'), from: '--api-key-file' };
  if (flags.apiKey !== undefined) {
    if (flags.apiKey.trim() === '') throw new GlassboxError('INVALID_OPTION', '--api-key is empty');
    return { key: flags.apiKey, from: '--api-key' };
  }
  const envFile = env['GLASSBOX_API_KEY_FILE'];
  if (envFile) return { key: await readKeyFile(envFile, 'GLASSBOX_API_KEY_FILE'), from: 'GLASSBOX_API_KEY_FILE' };
  if (env['GLASSBOX_API_KEY']) return { key: env['GLASSBOX_API_KEY'], from: 'GLASSBOX_API_KEY' };
  if (fromFile.apiKeyFile) return { key: await readKeyFile(fromFile.apiKeyFile, 'config apiKeyFile'), from: 'config apiKeyFile' };
  if (fromFile.apiKey) return { key: fromFile.apiKey, from: 'config apiKey' };
  return null;
}

/**
 * Starts the HTTP API. Settings come from, in rising order of precedence: a JSON config file
 * (ApiServerOptions fields, plus `port`, `host` and `apiKeyFile`), the environment
 * (GLASSBOX_MODEL, GLASSBOX_API_KEY_FILE, GLASSBOX_API_KEY, GLASSBOX_STATE, PORT, HOST), and flags. State is kept in
 * ./glassbox-data/state.db under the working directory unless --state (or GLASSBOX_STATE, or
 * statePath) names another file, or ':memory:' to keep nothing.
 */
export async function serveCommand(flags: ServeFlags, log: NodeJS.WritableStream): Promise<ApiServer> {
  let fromFile: ApiServerOptions & { port?: number; host?: string; apiKeyFile?: string } = {};
  if (flags.config) {
    try {
      fromFile = JSON.parse(await readFile(flags.config, 'utf8'));
    } catch (cause) {
      throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read config ${flags.config}: ${(cause as Error).message}`, { cause });
    }
  }
  const env = process.env;
  const { apiKeyFile: _apiKeyFile, ...serverFromFile } = fromFile;
  const models = flags.model ?? fromFile.modelDirs ?? (fromFile.modelDir ? [fromFile.modelDir] : [env['GLASSBOX_MODEL'] ?? defaultModelDir()]);
  const defaults = bundleDefaults(flags, models, fromFile);
  const options: ApiServerOptions = {
    ...serverFromFile,
    modelDir: undefined,
    modelDirs: models,
    ...(flags.calibration ? { calibrationPath: flags.calibration } : {}),
    ...(flags.calibration === false ? { calibrationPath: undefined } : {}),
    ...(defaults.calibration !== null ? { calibrationPath: defaults.calibration } : {}),
    // The bundle's calibration comes with its certified abstention rule.
    ...(defaults.calibration !== null && fromFile.abstain === undefined ? { abstain: 'certified' } : {}),
    ...(flags.abstain ? { abstain: flags.abstain } : {}),
    ...(flags.reference ? { referencePath: flags.reference } : {}),
    ...(flags.reference === false ? { referencePath: undefined, useStoredReference: false } : {}),
    ...(defaults.reference !== null ? { defaultReferencePath: defaults.reference } : {}),
    ...(flags.storeText ? { storeText: true } : {}),
    ...(flags.auditLimit !== undefined ? { auditLimit: flags.auditLimit } : {}),
    ...(flags.auditMaxAgeDays !== undefined ? { auditMaxAgeDays: flags.auditMaxAgeDays } : {}),
    ...(flags.monitorWindow !== undefined ? { monitorWindow: flags.monitorWindow } : {}),
    ...(flags.expectedRunLength !== undefined ? { expectedRunLength: flags.expectedRunLength } : {}),
    ...(flags.workers ? { workers: flags.workers } : {}),
    ...(flags.threads ? { intraOpThreads: flags.threads } : {}),
    ...(flags.spinning ? { spinning: true } : {}),
    ...(flags.variant ? { variant: flags.variant } : {}),
    ...(flags.maxBatchSize ? { maxBatchSize: flags.maxBatchSize } : {}),
    ...(flags.maxWaitMs !== undefined ? { maxWaitMs: flags.maxWaitMs } : {}),
    ...(flags.cors ? { cors: flags.cors } : {}),
    ...(flags.allowedHost ? { allowedHosts: flags.allowedHost } : {}),
    ...loadOptionsFromFlags(flags, fromFile),
    // Config paths resolve from the config file's directory, --plugin paths from the working one.
    plugins: [
      ...(fromFile.plugins ?? []).map((p) => (typeof p === 'string' && flags.config ? pluginPath(p, dirname(resolve(flags.config))) : p)),
      ...(flags.plugin ?? []).map((p) => pluginPath(p, process.cwd())),
    ],
  };
  // Persistent by default: ./glassbox-data/state.db unless --state, $GLASSBOX_STATE or the config say otherwise.
  const state = resolveStateLocation({ flag: flags.state, env: env['GLASSBOX_STATE'], config: fromFile.statePath });
  const apiKey = await resolveApiKey(flags, env, fromFile);
  if (apiKey) options.apiKey = apiKey.key;
  else delete options.apiKey;
  const port = flags.port ?? (env['PORT'] ? Number(env['PORT']) : undefined) ?? fromFile.port ?? 8080;
  const host = flags.host ?? env['HOST'] ?? fromFile.host ?? '127.0.0.1';
  // Before the model loads: the server itself refuses this too, at listen.
  if (!apiKey && !isLoopbackHost(host)) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `refusing to listen on ${host} without an API key: its admin and write routes would be open to the network; set --api-key-file FILE (or GLASSBOX_API_KEY_FILE), or use --host 127.0.0.1`,
    );
  }
  if (apiKey?.from === '--api-key') {
    log.write('glassbox: warning: --api-key is visible to every user of this machine in `ps`; prefer --api-key-file FILE or GLASSBOX_API_KEY_FILE\n');
  }
  await prepareStateLocation(state);
  options.statePath = state.path;
  const replicaId = flags.replicaId ?? env['GLASSBOX_REPLICA_ID'];
  if (replicaId) options.replicaId = replicaId;
  const server = await createApiServer(options);
  let bound: number;
  try {
    ({ port: bound } = await server.listen(port, host));
  } catch (error) {
    await server.close();
    throw error;
  }
  // Before the banner, so a signal sent as soon as it appears still closes gracefully.
  const stop = () => {
    log.write('glassbox: shutting down, finishing in-flight requests\n');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log.write(`glassbox: serving ${server.modelName}${server.modelVariant === 'quantized' ? ' (quantized)' : ''} on http://${host}:${bound} (OpenAPI at /openapi.json)\n`);
  if (apiKey) {
    log.write(`glassbox: admin and write routes need the API key (from ${apiKey.from})\n`);
  } else {
    log.write(
      'glassbox: WARNING: no API key. Admin and write routes (/admin/*, /v1/predictions, /v1/calibration/fit and /select, /v1/feedback without its token) answer ANY process on this machine; set --api-key-file FILE or GLASSBOX_API_KEY_FILE to require a key\n',
    );
  }
  log.write(`glassbox: ${state.description}\n`);
  if (options.calibrationPath) {
    const whose = defaults.calibration !== null ? "the model bundle's " : '';
    log.write(`glassbox: calibration: ${whose}${options.calibrationPath}${options.abstain ? `, abstaining by ${options.abstain}` : ''}; --calibration FILE for another, --no-calibration for raw probabilities\n`);
  } else {
    log.write('glassbox: no calibration: raw probabilities, no conformal sets (the Calibration tab stays empty): give --calibration FILE from `glassbox calibrate`\n');
  }
  log.write(`${referenceLine(server, state.path)}\n`);
  const { otlpUrl, intervalMs } = server.telemetry;
  if (otlpUrl) log.write(`glassbox: metrics also pushed over OTLP/HTTP to ${withoutCredentials(otlpUrl)} every ${intervalMs / 1000} s\n`);
  return server;
}
