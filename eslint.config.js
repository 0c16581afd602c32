// @ts-check
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const typed = {
  parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
};

export default defineConfig(
  {
    ignores: [
      'dist/',
      'bundle/',
      'coverage/',
      'node_modules/',
      'bench/results/',
      'bench/.build/',
      'bench/fuzz/failures/',
    ],
  },
  {
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: typed,
    rules: {
      // With noUncheckedIndexedAccess every byte read is `number | undefined`; the parsers' hot loops
      // assert indices they bounds-checked, which a `!` states without a branch per byte.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // The code's concise callbacks (`(error) => reject(error)`) return what they call, on purpose.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Numbers and booleans read well in messages; objects and undefined stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Public entry points check what untyped JavaScript callers pass, which the types say cannot happen.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
      // Hooks may return nothing, as the peers' typings say (`boolean | void | Promise<…>`).
      '@typescript-eslint/no-invalid-void-type': 'off',
      // Getters stand in for Node's accessors, and a base class's getter is overridden by its subclasses'.
      '@typescript-eslint/class-literal-property-style': 'off',
      // On booleans `||` is the logical or; on status codes 0 is no code.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { boolean: true, number: true } }],
      // No-op hooks and callbacks (adapter methods a parent namespace ignores, `ignore` rejection sinks) are meant.
      '@typescript-eslint/no-empty-function': 'off',
      // An overload per event name documents each event (as Node's own typings do).
      '@typescript-eslint/unified-signatures': 'off',
      // Header dictionaries are plain objects, as Node's http API hands them over.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // A leading underscore marks what a signature or an omitting destructure must name but does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The Socket.IO typings default their event maps and socket data to `any`, as the official server's do, so
    // applications written against those typings compile unchanged.
    files: ['src/server/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests and benchmarks: the rules that catch lost promises and misused async callbacks (an unhandled
    // rejection or an unawaited assertion), not the style of the library's own code.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: typed,
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it/test return promises that the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] },
          ],
        },
      ],
      // Async listeners and adapter methods are what the containment tests feed the server on purpose (it
      // catches their rejections); conditionals and spreads are still checked.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
