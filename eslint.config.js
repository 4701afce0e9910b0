// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import direction of ARCHITECTURE.md: a folder imports only from the rows above it. */
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});
const node = { group: ['node:*'], message: 'this layer does no I/O' };
const up = (...dirs) =>
  dirs.map((d) => ({ group: [`**/${d}/**`], message: `this layer may not import ${d}/` }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // plain scripts (bench/soak.mjs) run on Node
    files: ['**/*.mjs'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
      },
    },
  },
  layer(
    ['src/domain/**'],
    [
      node,
      ...up(
        'config',
        'process',
        'eventlog',
        'rpc',
        'alerts',
        'daemon',
        'client',
        'bin',
        'machines',
      ),
    ],
  ),
  layer(
    ['machines/**'],
    [node, ...up('config', 'process', 'eventlog', 'rpc', 'alerts', 'daemon', 'client', 'bin')],
  ),
  layer(
    ['src/config/**'],
    up('process', 'eventlog', 'rpc', 'alerts', 'daemon', 'client', 'bin', 'machines'),
  ),
  layer(
    ['src/process/**'],
    up('config', 'eventlog', 'rpc', 'alerts', 'daemon', 'client', 'bin', 'machines'),
  ),
  layer(
    ['src/eventlog/**'],
    up('config', 'process', 'rpc', 'alerts', 'daemon', 'client', 'bin', 'machines'),
  ),
  layer(
    ['src/rpc/**'],
    up('config', 'process', 'eventlog', 'alerts', 'daemon', 'client', 'bin', 'machines'),
  ),
  layer(
    ['src/alerts/**'],
    up('process', 'rpc', 'daemon', 'client', 'bin', 'machines', 'xmlrpc', 'import'),
  ),
  layer(
    ['src/xmlrpc/**'],
    up('process', 'eventlog', 'alerts', 'daemon', 'client', 'bin', 'machines', 'import'),
  ),
  layer(
    ['src/import/**'],
    up('process', 'eventlog', 'rpc', 'alerts', 'daemon', 'client', 'bin', 'machines', 'xmlrpc'),
  ),
  layer(['src/client/**'], up('daemon', 'eventlog', 'process', 'machines', 'alerts', 'xmlrpc')),
  layer(['src/bin/**'], up('config', 'process', 'eventlog', 'rpc', 'alerts', 'machines')),
);
