import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { API_ERROR_CODES, ApiError, type ApiErrorCode } from './api-errors.js';
import type { LogSink } from './api-options.js';

/** Deepest JSON nesting a request body may have (objects and arrays); deeper gets 400 BODY_TOO_DEEP. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `value` nests deeper than `maxDepth` objects or arrays (a scalar is depth 0, `[]` and
 * `{}` depth 1). Iterative, so a body nested a million levels deep costs time, never the stack.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value: v, depth } = top;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

/** Counts client errors by class; logs the first of each class, then at most one summary line per interval. */
export interface ClientErrorLog {
  /** Records one client error of class `code` (an error_type); `detail` goes into the first line of its class. */
  note(code: string, status: number, detail: string): void;
  /** Client errors so far, per class. */
  counts(): Record<string, number>;
}

export interface ClientErrorLogOptions {
  log: LogSink;
  /** Shortest time between two summary lines (default 60000 ms). */
  summaryIntervalMs?: number;
  /** The clock (default Date.now). */
  now?: () => number;
}

/**
 * A log for client errors that cannot flood it: the first error of each class is one JSON line
 * (never a stack trace); later ones are counted, and a `glassbox.client_error.counts` line with
 * the counts since the previous summary is written at most once per summaryIntervalMs, when one
 * more arrives. counts() has the totals (in GET /admin/stats). A failing sink is ignored.
 */
export function createClientErrorLog(options: ClientErrorLogOptions): ClientErrorLog {
  const { log } = options;
  const interval = options.summaryIntervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  const totals = new Map<string, number>();
  let pending = new Map<string, number>();
  let lastSummary = now();
  const write = (record: Record<string, unknown>) => {
    try {
      log.write(`${JSON.stringify(record)}\n`);
    } catch {
      // Logging must never fail the request it describes.
    }
  };
  return {
    note(code, status, detail) {
      const seen = totals.get(code) ?? 0;
      totals.set(code, seen + 1);
      const t = now();
      if (seen === 0) {
        write({
          level: 'warn',
          event: 'glassbox.client_error',
          msg: `client error ${code} (${status}): ${detail}; further ${code} errors are counted, not logged one by one`,
          error_type: code,
          status,
        });
        return;
      }
      pending.set(code, (pending.get(code) ?? 0) + 1);
      if (t - lastSummary >= interval) {
        write({
          level: 'info',
          event: 'glassbox.client_error.counts',
          msg: `client errors in the last ${Math.round((t - lastSummary) / 1000)} s (after the first of each class)`,
          counts: Object.fromEntries(pending),
        });
        pending = new Map();
        lastSummary = t;
      }
    },
    counts: () => Object.fromEntries(totals),
  };
}

/** How long the HTTP server waits for a client (ApiServerOptions' requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs). */
export interface ClientTimeouts {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * Options for http.createServer: Node's request and header timeouts (checked every quarter of
 * the shorter one, at most every second, rather than Node's 30 s), the keep-alive timeout, and
 * no empty 400 from Node for a missing Host header (checkRequest answers it in JSON).
 */
export function serverOptions(timeouts: ClientTimeouts): ServerOptions {
  const shortest = Math.min(timeouts.requestTimeoutMs, timeouts.headersTimeoutMs);
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    headersTimeout: timeouts.headersTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shortest / 4))),
    requireHostHeader: false,
  };
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

function rawResponse(code: ApiErrorCode, message: string): string {
  const status = API_ERROR_CODES[code].status;
  const body = JSON.stringify({ error: message, error_type: code });
  return [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** A request line at least this long, alone in the rejected chunk, makes an overflow a 414 rather than a 431. */
const LONG_REQUEST_LINE = 8 * 1024;

/** Whether the bytes Node's parser choked on start with a request line too long to be anything but the URL. */
function longRequestLine(raw: unknown): boolean {
  if (!Buffer.isBuffer(raw)) return false;
  const head = raw.toString('latin1', 0, Math.min(raw.length, 64 * 1024));
  if (!/^[A-Z]+ \S/.test(head)) return false;
  const end = head.indexOf('\r\n');
  return end === -1 ? head.length >= LONG_REQUEST_LINE : end >= LONG_REQUEST_LINE;
}

interface ClientErrorReply {
  code: ApiErrorCode;
  message: string;
}

/** What to answer for an error Node's HTTP parser or timers raised before (or while) a route ran; null: just close. */
export function clientErrorReply(error: { code?: string; rawPacket?: unknown }): ClientErrorReply | null {
  switch (error.code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_STREAM_DESTROYED':
      return null;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', message: 'the request (headers and body) did not arrive within the server\'s timeout; send it whole, with a Content-Length that matches the body' };
    case 'HPE_HEADER_OVERFLOW':
      return longRequestLine(error.rawPacket)
        ? { code: 'URI_TOO_LONG', message: 'the request line is longer than the server accepts (16 KB with the headers); send the input in a POST body' }
        : { code: 'HEADERS_TOO_LARGE', message: 'the request line and headers exceed 16 KB; send fewer or shorter headers, and inputs in the body' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'BODY_TOO_LARGE', message: 'the chunk extensions of the request body are too large' };
    case 'HPE_INVALID_EOF_STATE':
      return { code: 'MALFORMED_REQUEST', message: 'the client closed its side of the connection before the request was complete' };
    case 'HPE_INVALID_URL':
      return { code: 'INVALID_PATH', message: 'the request target is not a valid path' };
    default:
      return { code: 'MALFORMED_REQUEST', message: `the HTTP request could not be parsed (${String(error.code ?? 'parse error')}); send a well-formed HTTP/1.1 request` };
  }
}

/** What guards the server against malformed, oversized and slow clients. */
export interface ClientErrorGuard {
  /**
   * Express middleware, first after request counting: a path with malformed percent-encoding
   * gets 400 INVALID_PATH, an HTTP/1.1 request without Host 400 MALFORMED_REQUEST.
   */
  readonly checkRequest: RequestHandler;
  /**
   * Wraps the JSON body reader: stream failures (invalid gzip, deflate or br data, a client that
   * stops mid-body) become 400 INVALID_BODY, a body nested deeper than MAX_JSON_DEPTH 400
   * BODY_TOO_DEEP; the reader's own coded errors (413, INVALID_JSON, 415) pass through.
   */
  guardBody(reader: RequestHandler): RequestHandler;
  /**
   * Answers Node's 'clientError' events (unparseable requests, 431 overflows, timeouts) with a
   * JSON error instead of Node's empty one, then closes the socket. A reply already under way is
   * never corrupted: garbage pipelined behind a complete request waits for its reply; an error in
   * a request whose reply has started just closes the socket.
   */
  attach(server: Server): void;
  readonly log: ClientErrorLog;
}

const BODY_READER_TYPES = new Set(['entity.too.large', 'entity.parse.failed', 'encoding.unsupported', 'charset.unsupported']);

export function createClientErrorGuard(log: ClientErrorLog): ClientErrorGuard {
  const fail = (code: ApiErrorCode, message: string) => {
    log.note(code, API_ERROR_CODES[code].status, message);
    return new ApiError(code, message);
  };

  const checkRequest: RequestHandler = (req, _res, next) => {
    try {
      decodeURIComponent(req.path);
    } catch {
      return next(fail('INVALID_PATH', 'the path has malformed percent-encoding (a % not followed by two hex digits, or bytes that are not UTF-8)'));
    }
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      return next(fail('MALFORMED_REQUEST', 'an HTTP/1.1 request needs a Host header'));
    }
    next();
  };

  const guardBody =
    (reader: RequestHandler): RequestHandler =>
    (req, res, next) => {
      reader(req, res, (error?: unknown) => {
        if (error !== undefined && error !== null) {
          // The reader's own coded refusals (415 for a body that is not JSON) pass unchanged.
          if (error instanceof ApiError) return next(error);
          const e = error as { type?: string; status?: number; message?: string };
          if (typeof e.type === 'string' && BODY_READER_TYPES.has(e.type)) return next(error);
          // Nobody reads the answer to an aborted body (the clientError handler may have answered it): not counted.
          if (e.type === 'request.aborted') return next(new ApiError('INVALID_BODY', 'the client closed the connection before sending the whole body'));
          if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
            return next(fail('INVALID_BODY', `the body cannot be decoded (${req.headers['content-encoding'] ?? 'identity'}: ${e.message ?? 'read error'})`));
          }
          return next(error);
        }
        if (nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
          return next(fail('BODY_TOO_DEEP', `the JSON body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`));
        }
        next();
      });
    };

  const attach = (server: Server) => {
    // The exchange each socket is in, so an error never writes into a started reply.
    const current = new WeakMap<Duplex, { req: IncomingMessage; res: ServerResponse }>();
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const exchange = { req, res };
      current.set(req.socket, exchange);
      res.once('finish', () => {
        if (current.get(req.socket) === exchange) current.delete(req.socket);
      });
    });
    server.on('clientError', (error: Error & { code?: string; rawPacket?: unknown }, socket: Duplex) => {
      const reply = clientErrorReply(error);
      if (reply === null || !socket.writable) {
        socket.destroy();
        return;
      }
      log.note(reply.code, API_ERROR_CODES[reply.code].status, reply.message);
      const answer = () => {
        socket.end(rawResponse(reply.code, reply.message), () => socket.destroy());
        // A peer that never reads must not keep the socket.
        setTimeout(() => socket.destroy(), 1000).unref();
      };
      const inFlight = current.get(socket);
      if (inFlight === undefined || inFlight.res.writableFinished) return answer();
      // The error is in the request being answered (its body, or its timeout): answer it unless its reply started.
      if (!inFlight.req.complete || reply.code === 'REQUEST_TIMEOUT') return inFlight.res.headersSent ? socket.destroy() : answer();
      // Garbage pipelined behind a complete request: that request's reply goes first, then the error.
      inFlight.res.once('finish', answer);
      inFlight.res.once('close', () => {
        if (!inFlight.res.writableFinished) socket.destroy();
      });
    });
    // Without these listeners Node closes a CONNECT silently and answers an unknown Expect with an empty 417.
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      const message = 'CONNECT is not supported: this is not a proxy';
      log.note('METHOD_NOT_ALLOWED', 405, message);
      socket.on('error', () => socket.destroy());
      socket.end(rawResponse('METHOD_NOT_ALLOWED', message), () => socket.destroy());
    });
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      const message = `unsupported Expect header ${JSON.stringify(req.headers.expect)}; only 100-continue is supported`;
      log.note('EXPECTATION_FAILED', 417, message);
      const body = JSON.stringify({ error: message, error_type: 'EXPECTATION_FAILED' });
      res.writeHead(417, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
    });
  };

  return { checkRequest, guardBody, attach, log };
}
