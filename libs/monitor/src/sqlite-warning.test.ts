import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutSqliteWarning } from './sqlite.js';

describe('loading node:sqlite', () => {
  afterEach(() => vi.restoreAllMocks());

  it("drops only node:sqlite's ExperimentalWarning (it would break the CLI's one-line errors) and restores process.emitWarning", () => {
    const original = process.emitWarning;
    const seen: string[] = [];
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(((w: string | Error) => {
      seen.push(typeof w === 'string' ? w : w.message);
    }) as typeof process.emitWarning);
    const result = withoutSqliteWarning(() => {
      process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
      process.emitWarning('SQLite is an experimental feature', { type: 'ExperimentalWarning' });
      process.emitWarning('Fetch is an experimental feature', 'ExperimentalWarning');
      process.emitWarning('SQLite: a deprecation', 'DeprecationWarning');
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['Fetch is an experimental feature', 'SQLite: a deprecation']);
    expect(process.emitWarning).toBe(spy);
    spy.mockRestore();
    expect(process.emitWarning).toBe(original);
  });

  it('restores process.emitWarning when the load throws', () => {
    const before = process.emitWarning;
    expect(() =>
      withoutSqliteWarning(() => {
        throw new Error('no driver');
      }),
    ).toThrow('no driver');
    expect(process.emitWarning).toBe(before);
  });
});
