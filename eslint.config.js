import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['bin/**/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  // The sandbox page's script runs in the browser.
  { files: ['src/sandbox/web/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['examples/**/*.mjs'], languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly' } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/adapters/**', '**/config/**', '**/sandbox/**', '**/cli/**'], message: 'src/app owns its ports (src/app/ports.ts) and imports only src/app and src/domain; adapters implement the ports (docs/architecture.md).' },
          { group: ['node:*', 'fs', 'http', 'https', 'net', 'async_hooks', '@slack/*', 'better-sqlite3', 'pg', 'node-cron', 'pino', 'prom-client', 'jsonata'], message: 'src/app does no I/O of its own: it goes through its ports (docs/architecture.md).' },
        ],
      }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'http', 'https', 'net', '@slack/*', 'better-sqlite3', 'node-cron'], message: 'src/domain is pure: no I/O imports (docs/architecture.md).' },
          { group: ['jsonata'], message: 'JSONata (source mappings) is evaluated in src/adapters/sources, not in the domain.' },
          { group: ['**/adapters/**', '**/app/**', '**/config/**'], message: 'src/domain imports only src/domain: the config maps into src/domain/settings.ts, the app and adapters call in (docs/architecture.md).' },
        ],
      }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Take `now` as a parameter in src/domain.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Take `now` as a parameter in src/domain.' },
      ],
    },
  },
);
