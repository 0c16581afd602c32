import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestManager, connectedSocket, engine } from './fake-engine.js';

/** A socket that has not connected (the manager does not open), with the given offline bounds. */
function offlineSocket(offlineBuffer: { maxPackets?: number; maxBytes?: number }, retries = 0) {
  const manager = new TestManager('http://example.test', { autoConnect: false, reconnection: false });
  const socket = manager.socket('/', { offlineBuffer, ...(retries > 0 ? { retries } : {}) });
  return { manager, socket };
}

describe('Socket: the offline buffer', () => {
  test('past maxPackets the oldest emits without a callback are dropped and counted', () => {
    const { socket } = offlineSocket({ maxPackets: 3 });
    for (let n = 0; n < 5; n++) socket.emit('n', n);
    assert.deepEqual(
      socket.sendBuffer.map((packet) => packet.data),
      [
        ['n', 2],
        ['n', 3],
        ['n', 4],
      ],
    );
    assert.equal(socket.droppedPackets, 2);
  });

  test('emits with a callback are kept; one that cannot be is answered with an error', async () => {
    const { socket } = offlineSocket({ maxPackets: 2 });
    const answers: unknown[] = [];
    socket.emit('a', (...args: unknown[]) => answers.push(['a', ...args]));
    socket.emit('b', (...args: unknown[]) => answers.push(['b', ...args]));
    socket.emit('c', (...args: unknown[]) => answers.push(['c', ...args]));
    assert.equal(socket.sendBuffer.length, 2);
    assert.equal(answers.length, 1);
    const [name, error] = answers[0] as [string, Error];
    assert.equal(name, 'c');
    assert.match(error.message, /^offline buffer full \(2 packets/);
    await assert.rejects(socket.emitWithAck('d'), /offline buffer full/);
    socket.emit('e');
    assert.equal(socket.droppedPackets, 1, 'an emit without a callback that does not fit is dropped');
    assert.deepEqual(
      socket.sendBuffer.map((packet) => (packet.data as unknown[])[0]),
      ['a', 'b'],
    );
  });

  test('maxBytes counts the encoded size, binary included', () => {
    const { socket } = offlineSocket({ maxBytes: 100 });
    socket.emit('big', new Uint8Array(200));
    assert.equal(socket.sendBuffer.length, 0);
    assert.equal(socket.droppedPackets, 1);
    socket.emit('small', 'x'.repeat(30));
    socket.emit('small', 'é'.repeat(30));
    // 2["small","é…"] is 13 bytes plus 60 for the 30 two-byte characters: it pushes the first one out.
    assert.equal(socket.sendBuffer.length, 1);
    assert.equal(socket.droppedPackets, 2);
  });

  test('a sendBuffer the application replaced or emptied is counted again', () => {
    const { socket } = offlineSocket({ maxPackets: 2, maxBytes: 40 });
    socket.emit('a', 'x'.repeat(20));
    socket.sendBuffer = [];
    socket.emit('b', 'x'.repeat(20));
    assert.equal(socket.droppedPackets, 0, 'the replaced buffer no longer counts');
    socket.sendBuffer.length = 0;
    socket.emit('c', 'x'.repeat(20));
    assert.deepEqual(
      socket.sendBuffer.map((packet) => (packet.data as unknown[])[0]),
      ['c'],
    );
    assert.equal(socket.droppedPackets, 0);
    socket.emit('d', 'x'.repeat(20));
    assert.equal(socket.droppedPackets, 1, 'the bytes bound still holds');
  });

  test('an emit that times out while buffered leaves the buffer', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { socket } = offlineSocket({ maxPackets: 1 });
    const errors: Error[] = [];
    socket.timeout(10).emit('a', (error: Error) => errors.push(error));
    t.mock.timers.tick(10);
    assert.equal(errors[0]?.message, 'operation has timed out');
    assert.equal(socket.sendBuffer.length, 0);
    socket.emit('b');
    assert.equal(socket.droppedPackets, 0, 'its place is free again');
  });

  test('volatile emits while disconnected are dropped, not buffered', () => {
    const { socket } = offlineSocket({});
    socket.volatile.emit('gone');
    assert.equal(socket.sendBuffer.length, 0);
  });

  test('the retries queue is bounded the same way', () => {
    const { socket } = offlineSocket({ maxPackets: 2 }, 1);
    socket.emit('a');
    socket.emit('b');
    socket.emit('c');
    assert.equal(socket.droppedPackets, 1);
    let error: Error | undefined;
    socket.emit('d', (err: Error) => (error = err));
    // 'b' (no callback) makes room for 'd'.
    assert.equal(error, undefined);
    assert.equal(socket.droppedPackets, 2);
  });

  test('kept packets go out in order on connection, then the retries queue', () => {
    const manager = new TestManager('http://example.test', { reconnection: false });
    const socket = manager.socket('/', { offlineBuffer: { maxPackets: 2 } });
    try {
      for (let n = 0; n < 4; n++) socket.emit('n', n);
      engine().open();
      engine().receive('0{"sid":"s1"}');
      assert.deepEqual(engine().texts, ['0', '2["n",2]', '2["n",3]']);
      assert.equal(socket.sendBuffer.length, 0);
    } finally {
      manager._close();
    }
  });
});

describe('Socket: acknowledgements and listeners', () => {
  test('timeout(): the callback gets an Error when no answer comes; a late answer is ignored', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { manager, socket, engine: session } = connectedSocket();
    try {
      const calls: unknown[][] = [];
      socket.timeout(50).emit('q', (...args: unknown[]) => calls.push(args));
      assert.deepEqual(session.texts, ['20["q"]']);
      t.mock.timers.tick(50);
      assert.equal(calls.length, 1);
      assert.equal((calls[0]![0] as Error).message, 'operation has timed out');
      session.receive('30["late"]');
      assert.equal(calls.length, 1);
      socket.timeout(50).emit('q', (...args: unknown[]) => calls.push(args));
      session.receive('31["ok"]');
      assert.deepEqual(calls[1], [null, 'ok']);
    } finally {
      manager._close();
    }
  });

  test('a disconnection fails the pending error-first callbacks', async () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      const pending = socket.emitWithAck('q');
      let plain = 0;
      socket.emit('r', () => plain++);
      session.drop();
      await assert.rejects(pending, { message: 'socket has been disconnected' });
      assert.equal(plain, 0, 'a plain callback is not called with an error it does not expect');
    } finally {
      manager._close();
    }
  });

  test('events from the server, with an acknowledgement sent once', () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      const any: unknown[][] = [];
      socket.onAny((...args: unknown[]) => any.push(args));
      socket.on('ask', (n: number, ack: (answer: number) => void) => {
        ack(n + 1);
        ack(n + 2);
      });
      session.receive('27["ask",1]');
      assert.deepEqual(session.texts, ['37[2]']);
      assert.equal(any.length, 1);
      assert.equal(any[0]![0], 'ask');
    } finally {
      manager._close();
    }
  });

  test('onAnyOutgoing sees every emit; offAny and offAnyOutgoing remove', () => {
    const { manager, socket } = connectedSocket();
    try {
      const out: unknown[][] = [];
      const listener = (...args: unknown[]): number => out.push(args);
      socket.onAnyOutgoing(listener);
      socket.emit('x', 1);
      assert.deepEqual(out, [['x', 1]]);
      assert.deepEqual(socket.listenersAnyOutgoing(), [listener]);
      socket.offAnyOutgoing(listener);
      socket.emit('y');
      assert.equal(out.length, 1);
      socket.onAny(listener).prependAny(() => {});
      assert.equal(socket.listenersAny().length, 2);
      socket.offAny();
      assert.equal(socket.listenersAny().length, 0);
    } finally {
      manager._close();
    }
  });

  test('reserved event names cannot be emitted', () => {
    const { manager, socket } = connectedSocket();
    try {
      for (const name of ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']) {
        assert.throws(() => socket.emit(name), { message: `"${name}" is a reserved event name` });
      }
    } finally {
      manager._close();
    }
  });

  test("the client's disconnect sends DISCONNECT, reports 'io client disconnect' and closes the connection", () => {
    const { manager, socket, engine: session } = connectedSocket();
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    socket.disconnect();
    assert.deepEqual(session.texts, ['1']);
    assert.deepEqual(reasons, ['io client disconnect']);
    assert.equal(session.closed, true);
    assert.equal(manager._readyState, 'closed');
  });
});
