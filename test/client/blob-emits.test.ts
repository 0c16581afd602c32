/**
 * Emits that carry a Blob are written once its bytes are read: what happens when the read fails,
 * and when the connection changes while the read is under way.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { until } from '../helpers/wait.js';
import { connectedSocket, engine } from './fake-engine.js';

/** A Blob whose read fails with `reason`, as a File deleted from disk does in a browser. */
class UnreadableBlob extends Blob {
  constructor(readonly reason: unknown) {
    super(['never read']);
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.reject(this.reason);
  }
}

/** A Blob whose read completes when the test calls `release`. */
class GatedBlob extends Blob {
  #release = (): void => {};
  readonly #gate = new Promise<void>((resolve) => (this.#release = resolve));

  release(): void {
    this.#release();
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    await this.#gate;
    return super.arrayBuffer();
  }
}

describe('Manager: Blob emits', () => {
  for (const [what, reason, message] of [
    ['an Error', new Error('NotReadableError: the file changed'), 'NotReadableError: the file changed'],
    ['not an Error', 'gone', 'a Blob could not be read'],
  ] as const) {
    test(`a Blob that cannot be read (rejected with ${what}): an error event, and the emits behind it still go`, async () => {
      const { manager, socket, engine: session } = connectedSocket();
      try {
        const errors: Error[] = [];
        manager.on('error', (error) => errors.push(error));
        socket.emit('file', new UnreadableBlob(reason));
        socket.emit('after', 1);
        await until(() => session.sent.length > 0, 2000, 'the emit after the unreadable Blob');
        assert.deepEqual(
          errors.map((error) => error.message),
          [message],
        );
        assert.deepEqual(session.sent, ['2["after",1]']);
      } finally {
        manager._close();
      }
    });
  }

  test('a Blob emit that cannot be encoded (a BigInt beside it): an error event, the emits behind it still go', async () => {
    const { manager, socket, engine: session } = connectedSocket();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const errors: Error[] = [];
      manager.on('error', (error) => errors.push(error));
      socket.emit('file', new Blob(['x']), 1n);
      socket.emit('after', 1);
      socket.emit('file', new Blob([new Uint8Array([7])]));
      await until(
        () => session.sent.length >= 3,
        2000,
        () => `the emits after the one that cannot be encoded, sent: ${JSON.stringify(session.sent)}`,
      );
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof TypeError, String(errors[0]));
      assert.deepEqual(session.sent.slice(0, 2), ['2["after",1]', '51-["file",{"_placeholder":true,"num":0}]']);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      manager._close();
    }
  });

  test('a Blob emit whose connection was lost while it was read is not sent on the next connection', async () => {
    const { manager, socket, engine: first } = connectedSocket();
    try {
      const blob = new GatedBlob([new Uint8Array([1, 2, 3])]);
      socket.emit('file', blob);
      first.drop('transport close');
      manager.open();
      const second = engine();
      second.open();
      second.receive('0{"sid":"s2"}');
      socket.emit('later');
      blob.release();
      await until(
        () => second.texts.includes('2["later"]'),
        2000,
        () => `the emit behind the Blob, sent: ${JSON.stringify(second.texts)}`,
      );
      assert.deepEqual(second.texts, ['0', '2["later"]']);
      assert.deepEqual(first.sent, []);
    } finally {
      manager._close();
    }
  });
});
