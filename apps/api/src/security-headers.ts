import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every response (helmet): a Content-Security-Policy that runs only the
 * dashboard's own script files (no inline script, no eval), no framing (frame-ancestors 'none'
 * and X-Frame-Options: DENY), X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and
 * the cross-origin isolation headers. No Strict-Transport-Security and no
 * upgrade-insecure-requests: the server speaks plain HTTP (loopback by default); a TLS terminator
 * in front of it sets HSTS.
 */
export function createSecurityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        // The charts set styles through the CSSOM (allowed); style attributes in markup are not used.
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'none'"],
        'frame-ancestors': ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
}

/**
 * `Cache-Control: no-store` on every response that is not a dashboard file: API replies carry
 * stored texts, audit rows and configuration that no browser or proxy cache should keep. The
 * static dashboard sets its own Cache-Control on the files it serves.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
