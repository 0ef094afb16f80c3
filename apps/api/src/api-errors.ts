import { ERROR_CODES, GlassboxError, isGlassboxError, type ErrorBody } from '@glassbox/core';

/**
 * Errors of the HTTP layer itself (the engine's own come from GlassboxError's ERROR_CODES). Each
 * has the status it answers with and what to do about it.
 */
export const API_ERROR_CODES = {
  INVALID_REQUEST: { status: 400, summary: 'The request body does not match the route schema (missing field, wrong type, empty text); see GET /openapi.json.' },
  EMPTY_INPUT: { status: 400, summary: 'The request holds no text: an empty string, a text of only whitespace, or an empty list.' },
  INVALID_JSON: { status: 400, summary: 'The request body is not valid JSON.' },
  INVALID_BODY: { status: 400, summary: 'The request body cannot be read: invalid gzip, deflate or br data for its Content-Encoding, or the client stopped sending it.' },
  BODY_TOO_DEEP: { status: 400, summary: 'The JSON body nests objects and arrays more than 32 levels deep; no route needs that many.' },
  INVALID_PATH: { status: 400, summary: 'The path has malformed percent-encoding (a % not followed by two hex digits, or bytes that are not UTF-8); encode it with encodeURIComponent.' },
  MALFORMED_REQUEST: { status: 400, summary: 'The HTTP request itself could not be parsed (request line, header syntax, chunked framing, no Host); send a well-formed HTTP/1.1 request.' },
  UNAUTHORIZED: { status: 401, summary: 'Admin routes need the header "Authorization: Bearer <apiKey>".' },
  FORBIDDEN: {
    status: 403,
    summary: 'The route changes state or reads the audit trail, and the server has no API key, so it answers only clients on its own machine (or: the feedback_token does not match the prediction). Start the server with --api-key-file and send "Authorization: Bearer <apiKey>".',
  },
  HOST_NOT_ALLOWED: {
    status: 403,
    summary: 'The Host header names a host the server does not answer for (DNS rebinding protection); call it by localhost or its IP address, or allow the name with --allowed-host (allowedHosts).',
  },
  ROUTE_NOT_FOUND: { status: 404, summary: 'No route has this path; GET /openapi.json lists them.' },
  MODEL_NOT_FOUND: { status: 404, summary: 'The model name in the path is not the model this server serves (GET /info names it).' },
  CALIBRATION_NOT_CONFIGURED: { status: 404, summary: 'The server was started without a calibration file (glassbox serve --calibration FILE; config calibrationPath).' },
  MONITOR_NOT_CONFIGURED: { status: 404, summary: 'The server was started without a reference profile (glassbox serve --reference FILE, or referencePath in the config), so it runs no drift monitor.' },
  PREDICTION_NOT_FOUND: { status: 404, summary: 'No prediction with this id in the audit trail: unknown, or older than the last auditLimit predictions.' },
  CALIBRATION_VERSION_NOT_FOUND: { status: 404, summary: 'No calibration version with this id; GET /v1/calibration/versions lists them.' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'The route exists but not for this HTTP method; the Allow header lists those it takes.' },
  REQUEST_TIMEOUT: { status: 408, summary: 'The headers or the whole request did not arrive within headersTimeoutMs or requestTimeoutMs (for example a body shorter than its Content-Length); the connection is closed.' },
  TEXT_NOT_STORED: { status: 409, summary: 'The prediction was stored without its text (the server runs without storeText), so it cannot be re-explained.' },
  BODY_TOO_LARGE: { status: 413, summary: 'The request body exceeds bodyLimit; send fewer or shorter texts per request.' },
  URI_TOO_LONG: { status: 414, summary: 'The request line is longer than Node accepts (16 KB with the headers); send inputs in a POST body, not the URL.' },
  UNSUPPORTED_ENCODING: { status: 415, summary: 'The request body uses a charset or content encoding the server cannot read; send UTF-8 JSON.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The request body is not JSON: send it with "Content-Type: application/json" (or another +json type).' },
  EXPECTATION_FAILED: { status: 417, summary: 'The request has an Expect header other than 100-continue; drop it.' },
  TOO_MANY_INPUTS: { status: 422, summary: 'The request holds more texts than maxInputs; split it into several requests.' },
  TOO_MANY_TOKENS: { status: 422, summary: 'The request\'s texts hold more tokens than maxRequestTokens (each text counted up to the model\'s maximum length); send fewer or shorter texts per request.' },
  EXPLAIN_BUDGET_EXCEEDED: {
    status: 422,
    summary: 'The explanation would exceed its budget (maxExplainUnits occluded units, maxExplainForwardPasses forward passes, faithfulness only for a text within the model\'s maximum length, at most maxExplainInputs texts with explain: true); the message says what to change: a coarser granularity (word, or window with a larger window_stride), a shorter text, or fewer texts.',
  },
  TEXT_TOO_LONG: { status: 422, summary: 'A text exceeds maxTextLength characters or the model\'s token limit and the request asked for truncate: false.' },
  UNKNOWN_CALIBRATION_LABEL: { status: 422, summary: 'A calibration row names a label the model does not have; use one of the labels listed in the message (or its id).' },
  TOO_FEW_CALIBRATION_ROWS: { status: 422, summary: 'Fitting a calibration needs at least 20 labeled rows (and at most 50000); send more rows.' },
  RATE_LIMITED: { status: 429, summary: 'Too many requests from this client; wait for the number of seconds in Retry-After.' },
  HEADERS_TOO_LARGE: { status: 431, summary: 'The request line and headers exceed 16 KB; send fewer or shorter headers.' },
  CLIENT_CLOSED: { status: 499, summary: 'The client closed the connection before the answer was ready; its queued work was dropped. Never sent: it only appears in logs and counters.' },
  OVERLOADED: {
    status: 503,
    summary: 'The server\'s queue for the model (maxQueuedTexts, maxQueuedTokens) or for explanations (maxConcurrentExplanations + maxQueuedExplanations) is full; retry after the seconds in Retry-After, or on another replica.',
  },
  NOT_READY: { status: 503, summary: 'The model is not loaded yet or the server is shutting down; retry later or on another replica.' },
  AUDIT_WRITE_FAILED: {
    status: 503,
    summary: 'The server could not store the audit trail (full disk, failing state database), so the request was not acknowledged; retry after Retry-After seconds or on another replica. /ready answers 503 until writes succeed again.',
  },
  INTERNAL: { status: 500, summary: 'An unexpected server error; it was reported to the server\'s error handler.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** The body of every error response (its schema, ErrorBodySchema, is core's). */
export type { ErrorBody };

/**
 * An error the HTTP layer answers with its own status and code: a GlassboxError whose codes are
 * API_ERROR_CODES, so engine and HTTP errors are one hierarchy (`isGlassboxError` holds for both).
 */
export class ApiError extends GlassboxError<ApiErrorCode> {
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(code, message, { status: API_ERROR_CODES[code].status });
    this.name = 'ApiError';
    this.headers = headers;
  }
}

/** Any error reduced to what the client sees: status, body, headers; `internal` when unexpected. */
export interface ErrorReply {
  status: number;
  body: ErrorBody;
  headers: Readonly<Record<string, string>>;
  /** True for errors nobody planned for: the client gets a generic message, the handler the error. */
  internal: boolean;
}

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
  limit?: number;
}

const BODY_PARSER_CODES: Record<string, ApiErrorCode> = {
  'entity.too.large': 'BODY_TOO_LARGE',
  'entity.parse.failed': 'INVALID_JSON',
  'encoding.unsupported': 'UNSUPPORTED_ENCODING',
  'charset.unsupported': 'UNSUPPORTED_ENCODING',
};

/** Longest error message sent: messages quote what the client sent, which must not make a 20 KB input a 20 KB error. */
export const MAX_ERROR_MESSAGE = 1000;

function reply(code: string, status: number, message: string, headers: Record<string, string> = {}, internal = false): ErrorReply {
  const error = message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}... (${message.length - MAX_ERROR_MESSAGE} more characters)` : message;
  return { status, body: { error, error_type: code }, headers, internal };
}

/**
 * Maps anything thrown while handling a request to its reply: ApiError and GlassboxError keep
 * their code and status; body-parser failures get API codes; everything else is a 500 whose
 * message (and stack) never reaches the client.
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof ApiError) return reply(error.code, error.status, error.message, { ...error.headers });
  if (isGlassboxError(error)) {
    // An engine or library error (ApiError, the HTTP layer's subclass, was answered above).
    // A crashed worker is replaced at once: the client may retry.
    const headers: Record<string, string> = error.code === 'WORKER_CRASHED' ? { 'Retry-After': '1' } : {};
    // The state database unreachable while serving (PostgreSQL down, a locked SQLite file) is a
    // condition of this replica, not a bug: 503 with Retry-After, so clients and load balancers
    // go elsewhere, as /ready does. The error handler is still told.
    if (error.code === 'STORE_FAILED') return reply(error.code, error.status, error.message, { 'Retry-After': '5' }, true);
    return reply(error.code, error.status, error.message, headers, error.status >= 500 && error.code !== 'ENGINE_DISPOSED');
  }
  const parser = error as BodyParserError | null;
  if (parser && typeof parser === 'object' && typeof parser.type === 'string') {
    const code = BODY_PARSER_CODES[parser.type];
    if (code === 'BODY_TOO_LARGE') {
      return reply(code, 413, `the request body exceeds the ${parser.limit ?? ''} byte limit; send fewer or shorter texts per request`.replace('  ', ' '));
    }
    if (code === 'INVALID_JSON') return reply(code, 400, `the request body is not valid JSON: ${parser.message ?? 'parse error'}`);
    if (code) return reply(code, 415, parser.message ?? API_ERROR_CODES[code].summary);
    if (parser.expose && typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
      return reply('INVALID_REQUEST', parser.status, parser.message ?? 'the request could not be read');
    }
  }
  // The router's own failure to decode a path parameter (checkRequest normally answers first).
  if (error instanceof URIError && (error as BodyParserError).status === 400) {
    return reply('INVALID_PATH', 400, API_ERROR_CODES.INVALID_PATH.summary);
  }
  return reply('INTERNAL', 500, 'internal server error', {}, true);
}

/** Every code an error response may carry, with its status and summary: the API's and the engine's. */
export function documentedErrorCodes(): Array<{ code: string; status: number; summary: string }> {
  return [
    ...Object.entries(API_ERROR_CODES).map(([code, v]) => ({ code, ...v })),
    ...Object.entries(ERROR_CODES).map(([code, v]) => ({ code, ...v })),
  ];
}
