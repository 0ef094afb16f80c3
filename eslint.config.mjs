import nx from '@nx/eslint-plugin';

/**
 * The dashboard runs in the browser: it may use the libraries' wire types, never their code
 * (`import type` is erased by the build, so no server code reaches the bundle).
 */
export const browserTypeImportsOnly = {
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@glassbox/*'],
            allowTypeImports: true,
            message: 'The dashboard may only type-import from glassbox libraries (import type { ... }); their code is server code.',
          },
        ],
      },
    ],
  },
};

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/.nx', 'models/**', 'tools/train-mini/.work/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['warn', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/src/**/*.ts'],
    rules: {
      // Core at the bottom, plugins on core only, apps on top. A violation fails `npm test`.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['type:core'] },
            // the CLI embeds the API server (`glassbox serve`); no other app-to-app imports
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:core', 'type:plugin', 'scope:api'] },
            { sourceTag: 'scope:api', notDependOnLibsWithTags: ['scope:cli'] },
          ],
        },
      ],
    },
  },
  // Linted from the repository root; apps/dashboard/eslint.config.mjs applies it to its own src/.
  { files: ['apps/dashboard/src/**/*.ts'], ...browserTypeImportsOnly },
  {
    // ONNX Runtime stays behind one module of core.
    files: ['**/*.ts'],
    ignores: ['**/core/src/onnx/ort.ts', 'src/onnx/ort.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'onnxruntime-node',
              message: 'Import ONNX Runtime only in libs/core/src/onnx/ort.ts; use the engine or OnnxSession from @glassbox/core.',
            },
          ],
        },
      ],
    },
  },
];
