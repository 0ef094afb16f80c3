import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '@glassbox/core';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES } from './api-errors.js';

/**
 * docs/errors.md against the code: every code the CLI and the API can return (GlassboxError's
 * ERROR_CODES and the API's API_ERROR_CODES, which the compiler holds every `new GlassboxError`
 * and `new ApiError` to) has a table row with its HTTP status, and every row names a code that
 * still exists.
 */
const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');
const rows = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));
const codes = new Map<string, number>([...Object.entries(ERROR_CODES), ...Object.entries(API_ERROR_CODES)].map(([code, { status }]) => [code, status]));

describe('docs/errors.md', () => {
  it('has a row with the right status for every code the CLI and the API return', () => {
    const missing = [...codes.keys()].filter((c) => !rows.has(c));
    expect(missing, 'codes without a row').toEqual([]);
    for (const [code, status] of codes) expect(rows.get(code), code).toBe(status);
  });

  it('documents no code that no longer exists', () => {
    expect([...rows.keys()].filter((c) => !codes.has(c))).toEqual([]);
  });

  it('says an empty text is EMPTY_INPUT over HTTP', () => {
    expect(doc).toMatch(/`EMPTY_INPUT` \| 400 \|[^\n]*empty/);
  });
});
