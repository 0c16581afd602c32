import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the typed usage compiles, and every line marked @ts-expect-error is refused', async () => {
  // The project's own settings, on this one file: an unused @ts-expect-error is itself an error.
  const args = [
    'node_modules/typescript/bin/tsc',
    '--noEmit',
    '--pretty',
    'false',
    '--strict',
    '--exactOptionalPropertyTypes',
    '--noUncheckedIndexedAccess',
    '--skipLibCheck',
    '--target',
    'ES2022',
    '--lib',
    'ES2022',
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--types',
    'node',
    'test/client/typed-usage.ts',
  ];
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve(error ? `${stdout}${stderr}` || String(error) : ''),
    );
  });
  assert.equal(output, '');
});
