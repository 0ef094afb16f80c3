import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultModelDir } from './commands/shared.js';
import { cli } from './test-cli.js';

const repoModel = realpathSync(fileURLToPath(new URL('../../../models/emotion-mini', import.meta.url)));

describe('the default model', () => {
  const cwd = process.cwd();
  const saved = process.env['GLASSBOX_MODEL'];
  afterEach(() => {
    process.chdir(cwd);
    if (saved === undefined) delete process.env['GLASSBOX_MODEL'];
    else process.env['GLASSBOX_MODEL'] = saved;
  });

  it('is the folder of the @glassbox/emotion-mini package (models/emotion-mini here), not a path from the working directory', () => {
    delete process.env['GLASSBOX_MODEL'];
    const dir = defaultModelDir();
    expect(realpathSync(dir)).toBe(repoModel);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).toBe('@glassbox/emotion-mini');
  });

  it('answers `predict` without --model from a directory outside the repository', async () => {
    delete process.env['GLASSBOX_MODEL'];
    const scratch = mkdtempSync(join(tmpdir(), 'glassbox-cwd-'));
    try {
      process.chdir(scratch);
      const { code, stdout } = await cli('predict', '--json', 'I am so happy today');
      expect(code).toBe(0);
      const [row] = JSON.parse(stdout);
      expect(row.label).toBe('joy');
    } finally {
      process.chdir(cwd);
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('is $GLASSBOX_MODEL when set', () => {
    process.env['GLASSBOX_MODEL'] = '/some/model';
    expect(defaultModelDir()).toBe('/some/model');
  });
});
