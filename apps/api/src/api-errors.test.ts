import { describe, expect, it } from 'vitest';
import { ERROR_CODES, GlassboxError, isGlassboxError } from '@glassbox/core';
import { API_ERROR_CODES, ApiError, documentedErrorCodes, toErrorReply } from './api-errors.js';
import { inDialect } from './error-dialects.js';
import { buildOpenApiDocument } from './openapi.js';

describe('API error codes', () => {
  it('every code has an HTTP status and a summary that says what to do', () => {
    for (const [code, { status, summary }] of Object.entries(API_ERROR_CODES)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(summary.length, code).toBeGreaterThan(20);
      expect(Object.keys(ERROR_CODES), `${code} clashes with a core code`).not.toContain(code);
    }
  });

  it('ApiError is a GlassboxError: one hierarchy, each code with its own status', () => {
    for (const [code, { status }] of Object.entries(API_ERROR_CODES)) {
      const e = new ApiError(code as keyof typeof API_ERROR_CODES, 'x');
      expect(e).toBeInstanceOf(GlassboxError);
      expect(isGlassboxError(e)).toBe(true);
      expect([e.code, e.status, e.name], code).toEqual([code, status, 'ApiError']);
      expect(e.toJSON()).toEqual({ error: 'x', error_type: code });
    }
  });

  it('every code, the API\'s and the engine\'s, is documented in the OpenAPI Error schema', () => {
    const doc = buildOpenApiDocument([], { title: 't', version: '0' }) as { components: { schemas: { Error: { description: string } } } };
    for (const { code } of documentedErrorCodes()) expect(doc.components.schemas.Error.description).toContain(`\`${code}\``);
    expect(documentedErrorCodes()).toHaveLength(Object.keys(API_ERROR_CODES).length + Object.keys(ERROR_CODES).length);
  });
});

describe('toErrorReply', () => {
  it('keeps ApiError and GlassboxError codes, statuses and headers', () => {
    expect(toErrorReply(new ApiError('RATE_LIMITED', 'slow down', { 'Retry-After': '3' }))).toEqual({
      status: 429,
      body: { error: 'slow down', error_type: 'RATE_LIMITED' },
      headers: { 'Retry-After': '3' },
      internal: false,
    });
    const reply = toErrorReply(new GlassboxError('UNKNOWN_LABEL', 'no such label'));
    expect(reply).toMatchObject({ status: 400, body: { error: 'no such label', error_type: 'UNKNOWN_LABEL' }, internal: false });
    expect(toErrorReply(new GlassboxError('INFERENCE_FAILED', 'boom')).internal).toBe(true);
  });

  it('maps body-parser failures', () => {
    expect(toErrorReply({ type: 'entity.too.large', status: 413, limit: 100 })).toMatchObject({ status: 413, body: { error_type: 'BODY_TOO_LARGE' } });
    expect(toErrorReply({ type: 'entity.parse.failed', status: 400, message: 'Unexpected token' })).toMatchObject({
      status: 400,
      body: { error_type: 'INVALID_JSON' },
    });
    expect(toErrorReply({ type: 'encoding.unsupported', status: 415 })).toMatchObject({ status: 415, body: { error_type: 'UNSUPPORTED_ENCODING' } });
  });

  it('hides unexpected errors behind a generic 500', () => {
    const reply = toErrorReply(new TypeError('secret internals at /srv/app.js:12'));
    expect(reply).toEqual({ status: 500, body: { error: 'internal server error', error_type: 'INTERNAL' }, headers: {}, internal: true });
  });
});

describe('inDialect', () => {
  const of = (code: ConstructorParameters<typeof ApiError>[0]) => toErrorReply(new ApiError(code, 'x'));
  it('spells errors as TEI does', () => {
    expect(inDialect(of('INVALID_REQUEST'), 'tei')).toMatchObject({ status: 422, body: { error_type: 'Validation' } });
    expect(inDialect(of('TOO_MANY_INPUTS'), 'tei')).toMatchObject({ status: 422, body: { error_type: 'Validation' } });
    expect(inDialect(of('EMPTY_INPUT'), 'tei')).toMatchObject({ status: 400, body: { error_type: 'Empty' } });
    expect(inDialect(of('RATE_LIMITED'), 'tei')).toMatchObject({ status: 429, body: { error_type: 'Overloaded' } });
    expect(inDialect(of('NOT_READY'), 'tei')).toMatchObject({ status: 503, body: { error_type: 'Unhealthy' } });
    expect(inDialect(of('INTERNAL'), 'tei')).toMatchObject({ status: 424, body: { error_type: 'Backend' } });
  });

  it('adds estimated_time to HF 503s only', () => {
    expect(inDialect(of('NOT_READY'), 'hf').body).toMatchObject({ error_type: 'NOT_READY', estimated_time: expect.any(Number) });
    expect(inDialect(of('INVALID_REQUEST'), 'hf').body).toEqual({ error: 'x', error_type: 'INVALID_REQUEST' });
  });
});
