import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, GlassboxError } from './errors.js';
import { repoRoot } from './test-support.js';

describe('GlassboxError', () => {
  it('carries code, HTTP status and the API error shape', () => {
    const e = new GlassboxError('UNKNOWN_LABEL', 'label "angry" is not one of anger, joy');
    expect(e.status).toBe(400);
    expect(e.toJSON()).toEqual({ error: 'label "angry" is not one of anger, joy', error_type: 'UNKNOWN_LABEL' });
  });

  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(`${repoRoot}docs/errors.md`, 'utf8');
    for (const code of Object.keys(ERROR_CODES)) expect(doc, code).toContain(`\`${code}\``);
  });
});
