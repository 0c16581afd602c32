import { after, before } from 'node:test';

/**
 * Records what reaches `uncaughtException` or `unhandledRejection` while the tests of the calling
 * suite run (listening from its `before` to its `after`), so that a test can assert nothing escaped
 * the code under test. Call it in a `describe`; emptying the list between tests is the caller's.
 */
export function recordEscapes(): unknown[] {
  const escaped: unknown[] = [];
  const record = (err: unknown): void => void escaped.push(err);
  before(() => {
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
  });
  after(() => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  });
  return escaped;
}
