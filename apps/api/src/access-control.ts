import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { ApiError } from './api-errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether a socket's remote address is this machine: 127.0.0.0/8, ::1, or either mapped into IPv6. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** Whether listening on `host` (a name or an address) keeps the server on loopback interfaces. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

/** A request that came through a proxy on this machine is not a local client. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * A browser names the page's origin on cross-origin requests (and on same-origin POSTs): without
 * a key, only the server's own origin (its dashboard) or no Origin at all (curl, scripts) passes.
 */
function sameOriginOrNone(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === (req.headers.host ?? '').toLowerCase();
  } catch {
    return false; // 'null' (sandboxed frames, file: pages) and other non-URLs
  }
}

/**
 * Who may use the routes that change state or read the audit trail (admin routes, calibration
 * fits and selection, feedback without its token, the stored predictions):
 * - with an API key: requests with `Authorization: Bearer <apiKey>` (401 UNAUTHORIZED otherwise);
 * - without one: loopback clients only (403 FORBIDDEN otherwise). A loopback request carrying a
 *   proxy header (Forwarded, X-Forwarded-For, X-Real-IP) came from elsewhere and is refused too,
 *   as is a browser request from a page of another origin (even when CORS allows that origin).
 */
export interface AdminAccess {
  /** Throws the ApiError a request without access gets. */
  check(req: Request): void;
  /** The same check as middleware. */
  guard: RequestHandler;
}

export function createAdminAccess(apiKey: string | null): AdminAccess {
  const expected = apiKey === null ? null : digest(apiKey);
  const check = (req: Request): void => {
    if (expected === null) {
      if (isLoopbackAddress(req.socket.remoteAddress) && !PROXY_HEADERS.some((h) => req.headers[h] !== undefined)) {
        if (sameOriginOrNone(req)) return;
        throw new ApiError(
          'FORBIDDEN',
          'this route does not answer pages of other origins while the server has no API key (even with CORS); start it with --api-key-file and send "Authorization: Bearer <apiKey>"',
        );
      }
      throw new ApiError(
        'FORBIDDEN',
        'this route answers only clients on this machine while the server has no API key; start it with --api-key-file (or GLASSBOX_API_KEY_FILE) and send "Authorization: Bearer <apiKey>"',
      );
    }
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const challenge = { 'WWW-Authenticate': 'Bearer realm="glassbox"' };
    if (!m) throw new ApiError('UNAUTHORIZED', 'this route needs the header "Authorization: Bearer <apiKey>"', challenge);
    if (!timingSafeEqual(digest(m[1].trim()), expected)) throw new ApiError('UNAUTHORIZED', 'the API key is not valid', challenge);
  };
  return {
    check,
    guard: (req, _res, next) => {
      try {
        check(req);
        next();
      } catch (error) {
        next(error);
      }
    },
  };
}
