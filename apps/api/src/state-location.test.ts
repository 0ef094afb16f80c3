import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { availableSqliteDrivers, openStateStore } from '@glassbox/monitor';
import { resolveApiOptions } from './api-options.js';
import { DEFAULT_STATE_PATH, prepareStateLocation, resolveStateLocation } from './state-location.js';

const work = mkdtempSync(join(tmpdir(), 'glassbox-location-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('resolveStateLocation', () => {
  it('defaults to ./glassbox-data/state.db under the working directory, and says it survives restarts', () => {
    const location = resolveStateLocation({}, '/srv/app');
    expect(location).toMatchObject({ path: '/srv/app/glassbox-data/state.db', persistent: true, source: 'default' });
    expect(DEFAULT_STATE_PATH).toBe('glassbox-data/state.db');
    expect(location.description).toMatch(/^state in \/srv\/app\/glassbox-data\/state\.db .*survive restarts$/);
  });

  it('takes --state over GLASSBOX_STATE over the config file, resolving relative paths against the working directory', () => {
    const cwd = '/srv/app';
    expect(resolveStateLocation({ flag: 'a.db', env: 'b.db', config: 'c.db' }, cwd)).toMatchObject({ path: '/srv/app/a.db', source: 'flag' });
    expect(resolveStateLocation({ env: 'b.db', config: 'c.db' }, cwd)).toMatchObject({ path: '/srv/app/b.db', source: 'env' });
    expect(resolveStateLocation({ env: '', config: '/var/lib/c.db' }, cwd)).toMatchObject({ path: '/var/lib/c.db', source: 'config' });
  });

  it(':memory: opts out, with a line saying nothing will survive a restart', () => {
    for (const choices of [{ flag: ':memory:' }, { env: ':memory:' }, { config: ':memory:' }]) {
      const location = resolveStateLocation({ ...choices }, '/srv/app');
      expect(location).toMatchObject({ path: ':memory:', persistent: false });
      expect(location.description).toMatch(/nothing will survive a restart/);
    }
  });
});

describe('prepareStateLocation', () => {
  it('creates the directory (and its parents) of a persistent location, and nothing for :memory:', async () => {
    await prepareStateLocation(resolveStateLocation({}, work));
    expect(statSync(join(work, 'glassbox-data')).isDirectory()).toBe(true);
    await prepareStateLocation(resolveStateLocation({ flag: 'deep/er/state.db' }, work));
    expect(statSync(join(work, 'deep/er')).isDirectory()).toBe(true);
    await prepareStateLocation(resolveStateLocation({ flag: ':memory:' }, join(work, 'none')));
    expect(existsSync(join(work, 'none'))).toBe(false);
  });
});

describe.skipIf(availableSqliteDrivers().length === 0)('createApiServer options', () => {
  it("take statePath ':memory:' as the library default (in memory), and refuse statePath with stateStore", () => {
    expect(resolveApiOptions({ modelDir: 'm', statePath: ':memory:' }).statePath).toBeNull();
    expect(resolveApiOptions({ modelDir: 'm' }).statePath).toBeNull();
    expect(resolveApiOptions({ modelDir: 'm', statePath: 'x.db' }).statePath).toBe('x.db');
    const store = openStateStore({ path: ':memory:' });
    try {
      expect(() => resolveApiOptions({ modelDir: 'm', statePath: 'x.db', stateStore: store })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
      expect(() => resolveApiOptions({ modelDir: 'm', stateStore: {} as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    } finally {
      store.close();
    }
  });
});
