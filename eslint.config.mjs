import nx from '@nx/eslint-plugin';

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
