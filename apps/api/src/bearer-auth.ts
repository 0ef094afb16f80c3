import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './api-errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Checks `Authorization: Bearer <apiKey>` in constant time; without a key every request passes. */
export function createBearerAuth(apiKey: string | null): RequestHandler {
  const expected = apiKey === null ? null : digest(apiKey);
  return (req, _res, next) => {
    if (expected === null) return next();
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const challenge = { 'WWW-Authenticate': 'Bearer realm="glassbox"' };
    if (!m) return next(new ApiError('UNAUTHORIZED', 'this route needs the header "Authorization: Bearer <apiKey>"', challenge));
    if (!timingSafeEqual(digest(m[1].trim()), expected)) return next(new ApiError('UNAUTHORIZED', 'the API key is not valid', challenge));
    next();
  };
}
