/**
 * Socket calls at the edges of their states: connecting a socket that is connected or whose
 * manager is already open, a CONNECT_ERROR without a message, removing a listener never added,
 * and an emit too large for the retries queue.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestManager, connectedSocket, engine } from './fake-engine.js';

describe('Socket: connecting again', () => {
  test('connect() on a connected socket sends nothing', () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      assert.equal(socket.connect(), socket);
      assert.deepEqual(session.sent, []);
      assert.equal(socket.connected, true);
    } finally {
      manager._close();
    }
  });

  test('a socket disconnected while its manager stays open for another namespace: connect() sends CONNECT at once', () => {
    const { manager, engine: session } = connectedSocket();
    const other = manager.socket('/other');
    session.receive('0/other,{"sid":"o1"}');
    try {
      other.disconnect();
      assert.equal(manager._readyState, 'open', 'the main namespace keeps the connection');
      session.sent.length = 0;
      other.connect();
      assert.deepEqual(session.texts, ['0/other,']);
      session.receive('0/other,{"sid":"o2"}');
      assert.equal(other.id, 'o2');
    } finally {
      manager._close();
    }
  });

  test('manager.socket() for a namespace whose socket was disconnected connects it again (autoConnect)', () => {
    const { manager, engine: session } = connectedSocket();
    const other = manager.socket('/other');
    try {
      other.disconnect();
      session.sent.length = 0;
      assert.equal(manager.socket('/other'), other);
      assert.equal(other.active, true);
      assert.deepEqual(session.texts, ['0/other,']);
    } finally {
      manager._close();
    }
  });
});

describe('Socket: what the server answers', () => {
  test('a CONNECT_ERROR whose message is not a string: a connect_error with an empty message and the data', () => {
    const manager = new TestManager('http://example.test', { reconnection: false });
    const socket = manager.socket('/');
    try {
      const errors: (Error & { data?: unknown })[] = [];
      socket.on('connect_error', (error) => errors.push(error));
      engine().open();
      engine().receive('4{"message":42,"data":{"retry":false}}');
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.message, '');
      assert.deepEqual(errors[0]!.data, { retry: false });
    } finally {
      manager._close();
    }
  });
});

describe('Socket: listeners and queues', () => {
  test('offAny / offAnyOutgoing with a listener never added keep the others', () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      const heard: string[] = [];
      socket.onAny((event: string) => heard.push(`in ${event}`));
      socket.onAnyOutgoing((event: string) => heard.push(`out ${event}`));
      socket.offAny(() => {});
      socket.offAnyOutgoing(() => {});
      session.receive('2["ping"]');
      socket.emit('pong');
      assert.deepEqual(heard, ['in ping', 'out pong']);
      assert.equal(socket.listenersAny().length, 1);
      assert.equal(socket.listenersAnyOutgoing().length, 1);
    } finally {
      manager._close();
    }
  });

  test('retries: an emit without a callback larger than the whole queue may hold is dropped and counted', () => {
    const { manager, engine: session } = connectedSocket();
    const queued = manager.socket('/q', { retries: 2, offlineBuffer: { maxBytes: 64 } });
    session.receive('0/q,{"sid":"q1"}');
    session.sent.length = 0;
    try {
      queued.emit('big', 'x'.repeat(200));
      assert.equal(queued.droppedPackets, 1);
      assert.deepEqual(session.sent, []);
      queued.emit('small', 1);
      assert.equal(session.texts.length, 1, 'a small emit still goes');
      assert.match(session.texts[0]!, /^2\/q,\d+\["small",1\]$/);
    } finally {
      manager._close();
    }
  });

  test('on, once, off, listeners: in order, with the socket as `this`, removable while an event is delivered', () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      const heard: string[] = [];
      const first = (): number => heard.push('first');
      const second = (): void => {
        heard.push('second');
        socket.off('tick', first);
      };
      let self: unknown;
      socket.on('tick', first).on('tick', second);
      socket.once('tick', function (this: unknown) {
        self = this;
        heard.push('once');
      });
      assert.equal(socket.listeners('tick').length, 3);
      session.receive('2["tick"]');
      assert.deepEqual(
        heard,
        ['first', 'second', 'once'],
        'a listener removed during delivery is still called this time',
      );
      assert.equal(self, socket);
      assert.deepEqual(socket.listeners('tick'), [second]);
      session.receive('2["tick"]');
      assert.deepEqual(heard, ['first', 'second', 'once', 'second']);
      socket.off('tick', first);
      assert.equal(socket.hasListeners('tick'), true, 'removing a listener not there changes nothing');
      socket.removeListener('tick', second);
      assert.equal(socket.hasListeners('tick'), false);
      socket.on('a', first).on('b', first).on('b', second).on('c', second);
      socket.removeAllListeners('a');
      assert.equal(socket.hasListeners('a'), false);
      socket.off('a', first);
      assert.deepEqual(socket.listeners('b'), [first, second], 'the other events keep their listeners');
      socket.off('c', second);
      assert.equal(socket.hasListeners('c'), false, 'removing the only listener removes the event');
      assert.deepEqual(socket.listeners('b'), [first, second]);
      socket.removeAllListeners();
      assert.equal(socket.hasListeners('b'), false);
      assert.deepEqual(socket.listeners('b'), []);
    } finally {
      manager._close();
    }
  });
});
