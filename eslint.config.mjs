import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layout is prettier's (npm run format:check). No rule in use here is about layout: ESLint 9 and
// typescript-eslint 8 dropped those from their recommended sets.
export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', 'coverage/', 'docs/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
);
