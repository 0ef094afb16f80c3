import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import { ApiError } from './api-errors.js';
import type { ErrorDialect } from './error-dialects.js';
import { parseBody, parseQuery } from './request-validation.js';

export interface RouteRequest<Body, Query = unknown> {
  /** The body, parsed by the route's schema (undefined for routes without one). */
  body: Body;
  /** The query string, parsed by the route's `query` schema (undefined for routes without one). */
  query: Query;
  /** Path parameters; a wildcard's segments joined with '/'. */
  params: Record<string, string>;
  req: Request;
  res: Response;
  /**
   * Aborts when the client goes away before the reply is sent: model work queued for the
   * request is then dropped before it reaches the model.
   */
  signal: AbortSignal;
}

/**
 * One HTTP route: what it takes and returns (zod schemas, also the source of /openapi.json)
 * and its handler, which returns the JSON body of a 200 reply or throws.
 */
export interface RouteSpec<Body = unknown, Query = unknown> {
  method: 'get' | 'post';
  /** OpenAPI path template, e.g. '/v2/models/{name}/infer'. */
  path: string;
  /** Express path when the template's is not enough (e.g. '/models/*model' for names with '/'). */
  expressPath?: string;
  operationId: string;
  summary: string;
  tag: string;
  body?: z.ZodType<Body>;
  /** Query parameters: an object schema of optional or required strings (coerced where it says so). */
  query?: z.ZodType<Query>;
  response: z.ZodType;
  /**
   * Content type of a 200 reply that is not JSON (e.g. the Prometheus text format); the handler
   * then writes the reply itself.
   */
  contentType?: string;
  /** Error statuses the route may answer with (documented with the Error schema). */
  errors: readonly number[];
  /** How its errors are spelled (default 'glassbox'). */
  dialect?: ErrorDialect;
  /**
   * Changes state or reads the audit trail: needs the API key (Bearer), or without one a loopback
   * client (401/403 otherwise).
   */
  admin?: boolean;
  /** The handler accepts a per-resource token in the body in place of the admin check (feedback). */
  tokenAuth?: boolean;
  /** Counts against the per-IP rate limit. */
  limited?: boolean;
  /** A path parameter that must name the served model (404 MODEL_NOT_FOUND otherwise). */
  modelParam?: string;
  handle(request: RouteRequest<Body, Query>): unknown;
}

export function defineRoute<Body = undefined, Query = undefined>(spec: RouteSpec<Body, Query>): RouteSpec<Body, Query> {
  return spec;
}

export interface RouteGuards {
  auth: RequestHandler;
  rateLimit: RequestHandler;
  jsonBody: RequestHandler;
  modelName: () => string;
}

/** '/v2/models/{name}/infer' -> '/v2/models/:name/infer'. */
export function expressPathOf(route: Pick<RouteSpec, 'path' | 'expressPath'>): string {
  return route.expressPath ?? route.path.replace(/\{(\w+)\}/g, ':$1');
}

function normalizeParams(params: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : v]));
}

const setDialect =
  (dialect: ErrorDialect): RequestHandler =>
  (_req, res, next) => {
    res.locals['errorDialect'] = dialect;
    next();
  };

/** Mounts every route with its guards, then answers 405 (with Allow) for other methods on their paths. */
export function mountRoutes(router: Router, routes: readonly RouteSpec[], guards: RouteGuards): void {
  for (const route of routes) {
    const chain: RequestHandler[] = [setDialect(route.dialect ?? 'glassbox')];
    if (route.admin) chain.push(guards.auth);
    if (route.limited) chain.push(guards.rateLimit);
    if (route.modelParam) {
      const param = route.modelParam;
      chain.push((req, _res, next) => {
        const name = normalizeParams(req.params)[param];
        if (name !== guards.modelName()) {
          return next(new ApiError('MODEL_NOT_FOUND', `no model named "${name}"; this server serves "${guards.modelName()}"`));
        }
        next();
      });
    }
    if (route.method === 'post') chain.push(guards.jsonBody);
    chain.push(async (req: Request, res: Response, next: NextFunction) => {
      try {
        const body = route.body ? parseBody(route.body, req.body) : undefined;
        const query = route.query ? parseQuery(route.query, req.query) : undefined;
        const result = await route.handle({ body, query, params: normalizeParams(req.params), req, res, signal: clientGone(req, res) });
        if (!res.headersSent) res.status(200).json(result);
      } catch (error) {
        next(error);
      }
    });
    router[route.method](expressPathOf(route), ...chain);
  }
  const methods = new Map<string, Set<string>>();
  for (const route of routes) {
    const path = expressPathOf(route);
    const set = methods.get(path) ?? new Set<string>();
    set.add(route.method.toUpperCase());
    if (route.method === 'get') set.add('HEAD');
    methods.set(path, set);
  }
  for (const [path, allowed] of methods) {
    const allow = [...allowed].join(', ');
    router.all(path, (req, _res, next) => {
      next(new ApiError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; use ${allow}`, { Allow: allow }));
    });
  }
}

/** A signal that aborts when the connection closes before the response was sent. */
function clientGone(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  const abort = () => {
    if (!res.writableFinished) controller.abort();
  };
  if (req.socket.destroyed) abort();
  else res.once('close', abort);
  return controller.signal;
}


/** application/json and any `+json` type (application/problem+json, …); body-parser checks the charset is UTF-8. */
const JSON_TYPES = ['application/json', '+json'];

/**
 * JSON bodies up to `limit`, only objects and arrays at the top level. Only JSON content types
 * are read: any other body (text/plain, forms, multipart, or none named), which a browser may
 * send from any web page without a CORS preflight, gets 415 UNSUPPORTED_MEDIA_TYPE before the
 * route runs. A request without a body passes with `req.body` undefined.
 */
export function createJsonBody(limit: string | number): RequestHandler {
  const parse = express.json({ limit, strict: true, type: JSON_TYPES });
  return (req, res, next) => {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) return next();
    if (!req.is(JSON_TYPES)) {
      return next(
        new ApiError('UNSUPPORTED_MEDIA_TYPE', 'this route reads JSON only: send the body with "Content-Type: application/json"'),
      );
    }
    parse(req, res, next);
  };
}
