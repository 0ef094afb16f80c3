import { fileURLToPath } from 'node:url';
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// Lints code as if it were a file of this library, with the workspace's real ESLint config.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd: root });
const lint = async (code: string, file: string) => {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${file}` });
  return result.messages.filter((m) => m.severity === 2).map((m) => m.ruleId);
};

describe('module boundaries', () => {
  // @nx/enforce-module-boundaries reads the project graph nx caches on disk and silently skips
  // itself when there is none (a fresh clone where no nx command has run yet, or a cache being
  // rewritten by a concurrent nx process), so the test computes and writes it first.
  beforeAll(async () => {
    await createProjectGraphAsync({ exitOnError: false });
  }, 120_000);

  it('fails lint when core imports an app', async () => {
    const errors = await lint("import { runCli } from '@glassbox/cli';\nexport const x = runCli;\n", 'libs/core/src/bad-import.ts');
    expect(errors).toContain('@nx/enforce-module-boundaries');
  }, 120_000);

  it('fails lint when a plugin library imports an app (tags: type:plugin may use type:core only)', async () => {
    const errors = await lint("import { runCli } from '@glassbox/cli';\nexport const x = runCli;\n", 'libs/calibration/src/bad-import.ts');
    expect(errors).toContain('@nx/enforce-module-boundaries');
  }, 120_000);

  it('fails lint when the API server imports the CLI (only the CLI may embed the server)', async () => {
    const errors = await lint("import { runCli } from '@glassbox/cli';\nexport const x = runCli;\n", 'apps/api/src/bad-import.ts');
    expect(errors).toContain('@nx/enforce-module-boundaries');
  }, 120_000);

  it('fails lint when ONNX Runtime is imported outside its one module', async () => {
    const errors = await lint("import ort from 'onnxruntime-node';\nexport const x = ort;\n", 'libs/core/src/engine/other.ts');
    expect(errors).toContain('no-restricted-imports');
  }, 120_000);

  it('fails lint when the dashboard imports library code, and accepts its type-only imports of wire shapes', async () => {
    const code = "import { topK } from '@glassbox/core';\nexport const x = topK;\n";
    expect(await lint(code, 'apps/dashboard/src/bad-import.ts')).toContain('@typescript-eslint/no-restricted-imports');
    const types = "import type { PredictionView } from '@glassbox/core';\nexport type X = PredictionView;\n";
    expect(await lint(types, 'apps/dashboard/src/ok-import.ts')).toEqual([]);
  }, 120_000);

  it('accepts an app importing core', async () => {
    const errors = await lint("import { softmax } from '@glassbox/core';\nexport const x = softmax;\n", 'apps/cli/src/ok.ts');
    expect(errors).toEqual([]);
  }, 120_000);
});
