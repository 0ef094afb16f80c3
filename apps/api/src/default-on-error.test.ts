import { GlassboxError } from '@glassbox/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultOnError } from './api-options.js';

afterEach(() => vi.restoreAllMocks());

describe('the default error handler', () => {
  it('logs a coded failure (a failed OTLP push) as one line, without a stack', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    defaultOnError(new GlassboxError('METRICS_EXPORT_FAILED', 'otlp metrics export failed: connect ECONNREFUSED 127.0.0.1:4318', { cause: new Error('ECONNREFUSED') }));
    expect(log.mock.calls).toEqual([['glassbox api: otlp metrics export failed: connect ECONNREFUSED 127.0.0.1:4318 [METRICS_EXPORT_FAILED]']]);
  });

  it('keeps the stack of anything else: that is a bug to report', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const bug = new TypeError('x is undefined');
    defaultOnError(bug);
    expect(log.mock.calls).toEqual([['glassbox api: unexpected error', bug]]);
  });
});
