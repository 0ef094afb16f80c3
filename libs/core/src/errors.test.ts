import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, GlassboxError, isGlassboxError } from './errors.js';
import { repoRoot } from './test-support.js';

describe('GlassboxError', () => {
  it('carries code, HTTP status and the API error shape', () => {
    const e = new GlassboxError('UNKNOWN_LABEL', 'label "angry" is not one of anger, joy');
    expect(e.status).toBe(400);
    expect(e.toJSON()).toEqual({ error: 'label "angry" is not one of anger, joy', error_type: 'UNKNOWN_LABEL' });
  });

  it('takes only its own codes; a subclass brings its codes with their statuses', () => {
    // @ts-expect-error: not a code of ERROR_CODES
    expect(new GlassboxError('NO_SUCH_CODE', 'x').status).toBe(500);
    class HttpError extends GlassboxError<'TEAPOT'> {
      constructor(message: string) {
        super('TEAPOT', message, { status: 418 });
      }
    }
    const e = new HttpError('short and stout');
    expect(isGlassboxError(e)).toBe(true);
    expect([e.code, e.status]).toEqual(['TEAPOT', 418]);
    expect(e.toJSON()).toEqual({ error: 'short and stout', error_type: 'TEAPOT' });
  });

  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(`${repoRoot}docs/errors.md`, 'utf8');
    for (const code of Object.keys(ERROR_CODES)) expect(doc, code).toContain(`\`${code}\``);
  });
});
