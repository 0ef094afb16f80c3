import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { GlassboxError, type ModelVariant, type PluginRegistries } from '@glassbox/core';
import {
  createMemoryAuditLog,
  fromAuditLog,
  fromCalibrationStore,
  isPostgresUrl,
  openPgStateStore,
  openStateStore,
  parseReferenceProfile,
  type PgStateStore,
  type ReferenceProfile,
  type StateStore,
} from '@glassbox/monitor';
import type { ApiContext, ApiServerStats, ServerState } from './api-context.js';
import { ApiError, toErrorReply } from './api-errors.js';
import { resolveApiOptions, type ApiServerOptions, type ResolvedApiOptions } from './api-options.js';
import { createAdminAccess, isLoopbackHost } from './access-control.js';
import { createClientErrorGuard, createClientErrorLog, serverOptions } from './client-errors.js';
import { createCors } from './cors.js';
import { inDialect, type ErrorDialect } from './error-dialects.js';
import { createFeedbackTokens } from './feedback-token.js';
import { createHostCheck } from './host-check.js';
import { openModelService, type ModelService } from './model-service.js';
import { createMonitoring, readReferenceFile, type Monitoring } from './monitoring.js';
import { buildOpenApiDocument } from './openapi.js';
import { createShedCounter } from './load-metrics.js';
import { createRateLimiter } from './rate-limiter.js';
import { createPathRedactor } from './redact-paths.js';
import { createSecurityHeaders, noStore } from './security-headers.js';
import { createStaticDashboard } from './static-dashboard.js';
import { createStateWrites, observeStateWrites, type StateWrites } from './state-writes.js';
import { createJsonBody, mountRoutes, type RouteSpec } from './route-table.js';
import { calibrationRoutes, initialVersions, type InitialVersions } from './routes/calibration-routes.js';
import { startHeartbeat } from './shared-heartbeat.js';
import { openPluginRegistries } from './plugin-set.js';
import { glassboxRoutes } from './routes/glassbox-routes.js';
import { pluginRoutes } from './routes/plugin-routes.js';
import { hfRoutes } from './routes/hf-routes.js';
import { monitorRoutes } from './routes/monitor-routes.js';
import { oipRoutes } from './routes/oip-routes.js';
import { serviceRoutes } from './routes/service-routes.js';
import { teiRoutes } from './routes/tei-routes.js';
import { markRequestStart } from './server-timing.js';

export interface ReferenceInUse {
  source: 'option' | 'stored' | 'default';
  /** The file it was read from; null for a stored one. */
  path: string | null;
  /** Predictions the reference was built from. */
  n: number;
}

export interface ApiServer {
  /** The Express application, for mounting elsewhere or testing without a socket. */
  readonly app: Express;
  /** Name the model is served under (in responses and model routes). */
  readonly modelName: string;
  /** Which graph of the bundle is served: 'fp32' or 'quantized'. */
  readonly modelVariant: ModelVariant;
  /** Where metrics go: `prometheus` (GET /metrics) plus push exporters from the OTEL_* variables. */
  readonly telemetry: { exporters: readonly string[]; otlpUrl: string | null; intervalMs: number };
  /**
   * The drift reference in use and where it came from: `option` (referencePath), `stored` (saved
   * by an earlier start in the state database), `default` (defaultReferencePath); null: no drift
   * monitor.
   */
  readonly reference: ReferenceInUse | null;
  /**
   * Listens on `port` (0: any free port) and `host` (default 127.0.0.1); resolves with the port.
   * Without an apiKey it refuses (INVALID_OPTION) a host that is not loopback, and logs a warning
   * that admin and write routes answer any local process.
   */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /**
   * Stops accepting connections, lets in-flight requests finish (up to closeTimeoutMs), drains
   * the micro-batcher, releases the model, then stops the drift monitor and flushes and stops
   * the metrics registry. Idempotent.
   */
  close(): Promise<void>;
  stats(): ApiServerStats;
  /**
   * The model's worker threads (null with workers: 0 or an ensemble): restart counts, and
   * crashWorker(i) to end one as a crash would; it is replaced and the server stays up.
   */
  readonly workerPool: ModelService['workerPool'];
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The glassbox HTTP server: loads and warms the model (or ensemble), its calibration and
 * abstention rule, then serves glassbox's routes and the Hugging Face, TEI and Open Inference
 * Protocol wire formats, all through one micro-batcher. Bad options reject here, before any
 * request.
 */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const resolved = resolveApiOptions(options);
  const given = resolved.referencePath ? await readReferenceFile(resolved.referencePath) : null;
  let monitoring: Monitoring | null = null;
  let store: StateStore | null = options.stateStore ?? null;
  let shared: PgStateStore | null = null;
  /** Run at close (and when the start fails): the heartbeat and the routes' timers. */
  const closers: Array<() => void> = [];
  // Every route's predictions reach the monitoring through the service, once it exists.
  let service: ModelService;
  let plugins: PluginRegistries;
  try {
    plugins = await openPluginRegistries(resolved.plugins);
    service = await openModelService(resolved, { observe: (batch) => monitoring?.observe(batch), explainers: plugins.explainer,
      calibrators: plugins.calibrator,
      abstentionRules: plugins.abstention,
    });
  } catch (error) {
    store?.close();
    throw error;
  }
  try {
    const retention = {
      auditRows: resolved.auditLimit,
      ...(resolved.auditMaxAgeDays !== null && { auditMaxAgeMs: resolved.auditMaxAgeDays * 86_400_000 }),
    };
    if (resolved.statePath && isPostgresUrl(resolved.statePath)) {
      // Shared by the replicas: the audit log, feedback, calibration versions; the drift window stays per replica.
      shared = await openPgStateStore({ url: resolved.statePath, retention, ...(resolved.replicaId !== null && { replicaId: resolved.replicaId }) });
      await shared.prune();
    } else if (resolved.statePath) {
      store = openStateStore({
        path: resolved.statePath,
        durability: resolved.stateDurability,
        retention: { ...retention, observations: resolved.monitorWindow },
      });
    }
    const model = { modelId: service.modelId, labels: service.labels };
    // Checked against the model before it is kept; a restart without referencePath uses it.
    let reference: ReferenceProfile | null = given === null ? null : parseReferenceProfile(given, model);
    let source: ReferenceInUse['source'] = 'option';
    if (store) {
      store.prune();
      if (reference !== null) {
        store.saveReference(reference);
      } else if (resolved.useStoredReference) {
        reference = store.loadReference(service.modelId, service.labels);
        source = 'stored';
      }
    }
    if (reference === null && resolved.defaultReferencePath !== null) {
      reference = parseReferenceProfile(await readReferenceFile(resolved.defaultReferencePath), model);
      source = 'default';
    }
    const openStore = store;
    const heartbeat = shared && startHeartbeat(shared, resolved.sharedStatePollMs);
    if (heartbeat) closers.push(heartbeat.stop);
    const writes = createStateWrites({ probe: heartbeat?.probe ?? (openStore && (() => openStore.probe())), log: resolved.log });
    heartbeat?.watch(writes);
    monitoring = createMonitoring({
      statistics: plugins['drift-statistic'],
      modelId: service.modelId,
      labels: service.labels,
      calibrationId: () => service.calibrationId,
      abstentionRules: service.abstentionRules,
      reference,
      window: resolved.monitorWindow,
      expectedRunLength: resolved.expectedRunLength,
      log: resolved.log,
      meter: resolved.meter,
      store,
      writes,
      onError: (error) => safeReport(resolved, error),
    });
    observeStateWrites(resolved.meter ?? monitoring.metrics.meter(), writes, (error) => safeReport(resolved, error));
    const calibrationStore = shared ?? (store && fromCalibrationStore(store));
    const reportError = (error: unknown) => safeReport(resolved, error);
    const inUse: ReferenceInUse | null =
      reference === null
        ? null
        : { source, path: source === 'option' ? resolved.referencePath : source === 'default' ? resolved.defaultReferencePath : null, n: reference.n };
    const state: SharedParts = {
      store,
      shared,
      calibrationStore,
      closers,
      // Tokens outlive a restart with the state database (and verify on every replica with PostgreSQL); in memory they die with the process.
      secret: shared ? await shared.secret('feedback-token') : store ? store.secret('feedback-token') : randomBytes(32),
      initial: await initialVersions({ service, calibrationStore, plugins, reportError }),
      reference: inUse,
    };
    return buildServer(resolved, service, plugins, monitoring, state, writes);
  } catch (error) {
    for (const close of closers.splice(0)) close();
    await monitoring?.shutdown();
    store?.close();
    await shared?.close();
    await service.dispose();
    throw error;
  }
}

/** A failed listen as one coded line with a hint (EADDRINUSE, EADDRNOTAVAIL); other errors as they are. */
function listenError(error: unknown, port: number, host: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return new GlassboxError('PORT_IN_USE', `port ${port} on ${host} is already in use (another glassbox serve?): stop that process, or pick another port with --port N (0 picks a free one)`, { cause: error });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new GlassboxError('PORT_IN_USE', `cannot listen on ${host}: it is not an address of this machine; use --host 127.0.0.1 or one of its interfaces`, { cause: error });
  }
  return error;
}

function safeReport(resolved: ResolvedApiOptions, error: unknown): void {
  try {
    resolved.onError(error);
  } catch {
    // An error handler that throws must not take a request down with it.
  }
}

/** Where the server keeps its state, opened by createApiServer. */
interface SharedParts {
  store: StateStore | null;
  shared: PgStateStore | null;
  calibrationStore: ApiContext['calibrationStore'];
  /** Run at close: timers of the routes and the heartbeat. */
  closers: Array<() => void>;
  secret: Buffer;
  initial: InitialVersions;
  /** The drift reference in use and where it came from. */
  reference: ReferenceInUse | null;
}

function buildServer(
  resolved: ResolvedApiOptions,
  service: ModelService,
  plugins: PluginRegistries,
  monitoring: Monitoring,
  parts: SharedParts,
  writes: StateWrites,
): ApiServer {
  const { store, shared, closers, reference } = parts;
  const started = Date.now();
  const requests = { total: 0, inFlight: 0 };
  let state: ServerState = 'ready';
  let idleWaiters: Array<() => void> = [];
  let openApi: Record<string, unknown> | null = null;
  let httpServer: Server | null = null;
  let closing: Promise<void> | null = null;
  const clientErrors = createClientErrorGuard(createClientErrorLog({ log: resolved.log }));

  const stats = (): ApiServerStats => ({
    state,
    requests: { ...requests },
    batcher: service.stats(),
    clientErrors: clientErrors.log.counts(),
    load: service.loadStats(),
    uptimeSeconds: (Date.now() - started) / 1000,
  });
  const version = packageVersion();
  const reportError = (error: unknown) => safeReport(resolved, error);
  const adminAccess = createAdminAccess(resolved.apiKey);
  const ctx: ApiContext = {
    options: resolved,
    service,
    plugins,
    monitoring,
    audit: shared ? shared.audit : fromAuditLog(store ? store.auditLog() : createMemoryAuditLog(resolved.auditLimit)),
    store,
    calibrationStore: parts.calibrationStore,
    calibrationPollMs: shared ? resolved.sharedStatePollMs : null,
    onClose: (fn) => closers.push(fn),
    adminAccess,
    feedbackTokens: createFeedbackTokens(parts.secret),
    writes,
    version,
    reportError,
    state: () => state,
    stats,
    openApi: () =>
      (openApi ??= buildOpenApiDocument(routes, {
        title: 'glassbox API',
        version,
        description: `Emotion classification with calibration, abstention and explanations (model ${service.name}), plus Hugging Face Inference API, TEI and Open Inference Protocol compatible routes.`,
      })),
  };
  const routes: RouteSpec[] = [
    ...serviceRoutes(ctx),
    ...glassboxRoutes(ctx),
    ...pluginRoutes(ctx),
    ...calibrationRoutes(ctx, parts.initial),
    ...monitorRoutes(ctx),
    ...hfRoutes(ctx),
    ...teiRoutes(ctx),
    ...oipRoutes(ctx),
  ];

  /** Counts requests in flight; once closing, answers with `Connection: close`. */
  const track: RequestHandler = (_req, res, next) => {
    markRequestStart(res);
    requests.total++;
    requests.inFlight++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      requests.inFlight--;
      if (state !== 'ready') setImmediate(() => httpServer?.closeIdleConnections());
      if (requests.inFlight === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    };
    res.on('finish', end);
    res.on('close', end);
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof res.writeHead>) {
      if (state !== 'ready') this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
    next();
  };

  const limiter = resolved.rateLimit ? createRateLimiter(resolved.rateLimit) : null;
  const rateLimit: RequestHandler = (req, _res, next) => {
    if (!limiter) return next();
    const wait = limiter.take(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (wait === 0) return next();
    const seconds = String(Math.max(1, Math.ceil(wait)));
    next(new ApiError('RATE_LIMITED', `too many requests from this client; retry in ${seconds} s`, { 'Retry-After': seconds }));
  };

  const countShed = createShedCounter(resolved.meter ?? monitoring.metrics.meter(), reportError);

  const notFound: RequestHandler = (req, _res, next) => {
    next(new ApiError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.path}; GET /openapi.json lists the routes`));
  };

  // No file path of this machine reaches a client, even inside an error message.
  const redact = createPathRedactor([
    ...resolved.modelDirs,
    ...[resolved.statePath && !isPostgresUrl(resolved.statePath) ? resolved.statePath : null, resolved.calibrationPath, resolved.calibrationDir, resolved.referencePath, resolved.defaultReferencePath, resolved.dashboardDir].filter(
      (p): p is string => p !== null && p !== ':memory:',
    ),
  ]);
  const handleError: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const unredacted = toErrorReply(error);
    const base = { ...unredacted, body: { ...unredacted.body, error: redact(unredacted.body.error) } };
    if (base.internal) reportError(error);
    countShed(base.body.error_type);
    const reply = inDialect(base, (res.locals['errorDialect'] as ErrorDialect | undefined) ?? 'glassbox');
    for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
    res.status(reply.status).json(reply.body);
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(track);
  app.use(createSecurityHeaders());
  app.use(noStore);
  app.use(clientErrors.checkRequest);
  app.use(createHostCheck(resolved.allowedHosts));
  app.use(createCors(resolved.cors));
  const router = express.Router();
  mountRoutes(router, routes, {
    auth: adminAccess.guard,
    rateLimit,
    jsonBody: clientErrors.guardBody(createJsonBody(resolved.bodyLimit)),
    modelName: () => service.name,
  });
  app.use(router);
  // After the API routes, so the dashboard never shadows them.
  app.use(createStaticDashboard(resolved.dashboardDir ?? undefined));
  app.use(notFound);
  app.use(handleError);

  const idle = () => (requests.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)));

  return {
    app,
    modelName: service.name,
    modelVariant: service.variant,
    telemetry: {
      exporters: monitoring.metrics.exporters,
      otlpUrl: monitoring.metrics.otel.otlp?.url ?? null,
      intervalMs: monitoring.metrics.otel.intervalMs,
    },
    reference,
    stats,
    workerPool: service.workerPool,
    async listen(port, host = '127.0.0.1') {
      if (state !== 'ready') throw new GlassboxError('ENGINE_DISPOSED', 'the server was closed; create a new one');
      if (httpServer) throw new GlassboxError('INVALID_OPTION', 'listen() was already called on this server');
      if (resolved.apiKey === null) {
        if (!isLoopbackHost(host)) {
          throw new GlassboxError(
            'INVALID_OPTION',
            `refusing to listen on ${host} without an API key: its admin and write routes would be open to the network; set one (--api-key-file FILE or GLASSBOX_API_KEY_FILE) or listen on 127.0.0.1`,
          );
        }
        resolved.log.write(
          `${JSON.stringify({
            level: 'warn',
            event: 'glassbox.security.no_api_key',
            msg: 'no API key: admin and write routes (/admin/*, /v1/predictions, /v1/calibration/fit and /select, /v1/feedback without its token) answer any process on this machine; set --api-key-file to require a key',
          })}\n`,
        );
      }
      const server = createServer(serverOptions(resolved), app);
      clientErrors.attach(server);
      httpServer = server;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        httpServer = null;
        throw listenError(error, port, host);
      }
      return { port: (server.address() as AddressInfo).port };
    },
    close() {
      closing ??= (async () => {
        state = 'closing';
        void service.drain();
        const server = httpServer;
        if (server?.listening) {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          const timer = setTimeout(() => server.closeAllConnections(), resolved.closeTimeoutMs);
          await closed;
          clearTimeout(timer);
        }
        await idle();
        try {
          await service.dispose();
        } finally {
          for (const close of closers.splice(0)) close();
          await monitoring.shutdown();
          store?.close();
          await shared?.close();
        }
        state = 'closed';
      })();
      return closing;
    },
  };
}
