import { expect } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import type { ErrorCode } from '@glassbox/core';

/** Asserts that `fn` throws a GlassboxError with `code` whose message matches `message`. */
export function expectGlassboxError(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(GlassboxError);
  expect((thrown as GlassboxError).code).toBe(code);
  if (message) expect((thrown as GlassboxError).message).toMatch(message);
}
