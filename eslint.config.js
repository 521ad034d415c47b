// @ts-check
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/vendor/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-mutable-exports': 'error',
    },
  },
  {
    // core/ holds domain rules only: no I/O, no outer layers.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/store/**',
                '**/providers/**',
                '**/api/**',
                '**/conductor/**',
                '**/drivers/**',
                'node:fs*',
                'node:net',
                'node:http*',
              ],
              message: 'core/ has no I/O and no outer layers',
            },
          ],
        },
      ],
    },
  },
  {
    // Drivers (what runs on the nodes) reach providers (where nodes come from) only through the provider contract and
    // its pure user-data renderer; the composition root (src/service.ts) wires a provider into them.
    files: ['src/drivers/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/providers/**', '!**/providers/contract.ts', '!**/providers/cloud-config.ts'],
              message: 'drivers import only src/providers/contract.ts and src/providers/cloud-config.ts from providers',
            },
          ],
        },
      ],
    },
  },
  {
    // The HTTP edge reaches providers and SQL only through the ports it is given.
    files: ['src/api/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/providers/**', 'kysely', 'pg'],
              message: 'api/ gets providers and the store injected',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
