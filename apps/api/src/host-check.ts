import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { ApiError } from './api-errors.js';

/** The name in a Host header, lower-cased, without its port ('[::1]:8080' -> '::1'). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  // More than one colon without brackets: an IPv6 literal, no port.
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/**
 * Whether a Host header names this server. Always allowed: localhost and *.localhost (browsers
 * resolve them to loopback) and IP literals (DNS rebinding needs a name). Also allowed: the
 * names listed, exactly or, for an entry '*.example.com' or '.example.com', any subdomain of it.
 * A list holding '*' allows every name.
 */
export function createHostMatcher(allowedHosts: readonly string[]): (hostHeader: string | undefined) => boolean {
  const any = allowedHosts.includes('*');
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of allowedHosts) {
    const e = entry.trim().toLowerCase().replace(/\.$/, '');
    if (e.startsWith('*.')) suffixes.push(e.slice(1));
    else if (e.startsWith('.')) suffixes.push(e);
    else exact.add(hostName(e));
  }
  return (header) => {
    // Only HTTP/1.0 clients omit it, and browsers always send it: nothing to rebind.
    if (any || header === undefined) return true;
    const name = hostName(header).replace(/\.$/, '');
    if (name === '') return false;
    if (name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0) return true;
    return exact.has(name) || suffixes.some((s) => name.endsWith(s) && name.length > s.length);
  };
}

/** Refuses requests whose Host header is not allowed with 403 HOST_NOT_ALLOWED (against DNS rebinding). */
export function createHostCheck(allowedHosts: readonly string[]): RequestHandler {
  const allowed = createHostMatcher(allowedHosts);
  return (req, _res, next) => {
    if (allowed(req.headers.host)) return next();
    next(
      new ApiError(
        'HOST_NOT_ALLOWED',
        `the Host header names a host this server does not answer for; allow it with --allowed-host NAME (allowedHosts), or call it by localhost or its IP address`,
      ),
    );
  };
}
