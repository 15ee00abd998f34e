import tseslint from 'typescript-eslint';
import { EXCEPTIONS, LAYERS } from './scripts/eslint/layers.mjs';
import { slipwayPlugin } from './scripts/eslint/no-upward-import.mjs';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '**/.slipway/**',
      'bench/results/**',
      '**/*.mjs',
      '**/*.js',
      '**/*.cjs',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    // Imports between src/ folders only go down the layers (docs/architecture.md, "Layout"; the table and the known
    // exceptions are in scripts/eslint/layers.mjs).
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    plugins: { slipway: slipwayPlugin },
    rules: {
      'slipway/no-upward-import': [
        'error',
        { root: import.meta.dirname, layers: LAYERS, exceptions: EXCEPTIONS },
      ],
    },
  },
);
