import { readFile } from 'node:fs/promises';
import { createApiServer, type ApiServer, type ApiServerOptions } from '@glassbox/api';
import { GlassboxError } from '@glassbox/core';
import { loadOptionsFromFlags, type LoadFlags } from './serve-load-flags.js';
import { defaultModelDir } from './shared.js';

export interface ServeFlags extends LoadFlags {
  model?: string[];
  port?: number;
  host?: string;
  config?: string;
  calibration?: string;
  reference?: string;
  storeText?: boolean;
  state?: string;
  auditLimit?: number;
  auditMaxAgeDays?: number;
  monitorWindow?: number;
  abstain?: string;
  workers?: number;
  apiKey?: string;
  cors?: string[];
  maxBatchSize?: number;
  maxWaitMs?: number;
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

/**
 * Starts the HTTP API. Settings come from, in rising order of precedence: a JSON config file
 * (ApiServerOptions fields, plus `port` and `host`), the environment (GLASSBOX_MODEL,
 * GLASSBOX_API_KEY, GLASSBOX_STATE, PORT, HOST), and flags.
 */
export async function serveCommand(flags: ServeFlags, log: NodeJS.WritableStream): Promise<ApiServer> {
  let fromFile: ApiServerOptions & { port?: number; host?: string } = {};
  if (flags.config) {
    try {
      fromFile = JSON.parse(await readFile(flags.config, 'utf8'));
    } catch (cause) {
      throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read config ${flags.config}: ${(cause as Error).message}`, { cause });
    }
  }
  const env = process.env;
  const models = flags.model ?? fromFile.modelDirs ?? (fromFile.modelDir ? [fromFile.modelDir] : [env['GLASSBOX_MODEL'] ?? defaultModelDir()]);
  const options: ApiServerOptions = {
    ...fromFile,
    modelDir: undefined,
    modelDirs: models,
    ...(flags.calibration ? { calibrationPath: flags.calibration } : {}),
    ...(flags.abstain ? { abstain: flags.abstain } : {}),
    ...(flags.reference ? { referencePath: flags.reference } : {}),
    ...(flags.storeText ? { storeText: true } : {}),
    ...(flags.auditLimit !== undefined ? { auditLimit: flags.auditLimit } : {}),
    ...(flags.auditMaxAgeDays !== undefined ? { auditMaxAgeDays: flags.auditMaxAgeDays } : {}),
    ...(flags.monitorWindow !== undefined ? { monitorWindow: flags.monitorWindow } : {}),
    ...(flags.workers ? { workers: flags.workers } : {}),
    ...(flags.maxBatchSize ? { maxBatchSize: flags.maxBatchSize } : {}),
    ...(flags.maxWaitMs !== undefined ? { maxWaitMs: flags.maxWaitMs } : {}),
    ...(flags.cors ? { cors: flags.cors } : {}),
    ...loadOptionsFromFlags(flags, fromFile),
  };
  const statePath = flags.state ?? env['GLASSBOX_STATE'] ?? fromFile.statePath;
  if (statePath) options.statePath = statePath;
  const apiKey = flags.apiKey ?? env['GLASSBOX_API_KEY'] ?? fromFile.apiKey;
  if (apiKey) options.apiKey = apiKey;
  const port = flags.port ?? (env['PORT'] ? Number(env['PORT']) : undefined) ?? fromFile.port ?? 8080;
  const host = flags.host ?? env['HOST'] ?? fromFile.host ?? '127.0.0.1';
  const server = await createApiServer(options);
  const { port: bound } = await server.listen(port, host);
  log.write(`glassbox: serving ${server.modelName} on http://${host}:${bound} (OpenAPI at /openapi.json)\n`);
  if (statePath) log.write(`glassbox: state in ${statePath} (SQLite, WAL)\n`);
  const { otlpUrl, intervalMs } = server.telemetry;
  if (otlpUrl) log.write(`glassbox: metrics also pushed over OTLP/HTTP to ${withoutCredentials(otlpUrl)} every ${intervalMs / 1000} s\n`);
  const stop = () => {
    log.write('glassbox: shutting down, finishing in-flight requests\n');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
