/**
 * An application callback that throws — a socket's or the manager's listener, an `onAny`
 * listener, an acknowledgement callback — must not stop the callbacks after it nor leave the client
 * half-way through a packet; its error must still reach the process, as an uncaught exception
 * from a microtask.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TestManager, engine } from './fake-engine.js';
import { until } from '../helpers/wait.js';

/**
 * Runs `body` with the process's `uncaughtException` listeners (the test runner's among them)
 * replaced by one that collects the errors, until `count` errors came; restores them whatever happens.
 */
async function collectUncaught(count: number, body: () => void): Promise<unknown[]> {
  const saved = process.listeners('uncaughtException');
  const errors: unknown[] = [];
  const collect = (error: unknown): void => {
    errors.push(error);
  };
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', collect);
  try {
    body();
    await until(
      () => errors.length >= count,
      3000,
      () => `${count} uncaught errors (got ${errors.length})`,
    );
    // Anything more than expected would come from the same microtask queue: let it drain first.
    await new Promise((resolve) => setImmediate(resolve));
    return errors;
  } finally {
    process.off('uncaughtException', collect);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
}

const thrower = (name: string) => () => {
  throw new Error(name);
};

const messages = (errors: unknown[]): string[] => errors.map((error) => (error as Error).message).sort();

describe('Client: a callback that throws', () => {
  test('each throwing listener, onAny listener and ack callback: the others run, the socket stays consistent, the errors reach the process', async () => {
    const manager = new TestManager('http://example.test', { reconnection: false, autoConnect: false });
    const socket = manager.socket('/');
    const heard: string[] = [];
    let answer: Promise<unknown> | undefined;
    try {
      // Added before the socket connects: they run before the socket's own reaction to each event.
      manager.on('open', thrower('manager open'));
      manager.on('packet', thrower('manager packet'));
      socket.on('connect', thrower('socket connect'));
      socket.on('connect', () => heard.push(`connect ${String(socket.id)}`));
      socket.onAny(thrower('onAny'));
      socket.onAny((event: string) => heard.push(`any ${event}`));
      socket.on('news', thrower('socket news'));
      socket.on('news', (value: unknown) => heard.push(`news ${String(value)}`));
      socket.on('disconnect', thrower('socket disconnect'));
      socket.on('disconnect', (reason) => heard.push(`disconnect ${reason}`));

      const errors = await collectUncaught(13, () => {
        socket.connect();
        engine().open();
        engine().receive('0{"sid":"s1"}');
        socket.emit('save', thrower('ack'));
        socket.emit('save', (...args: unknown[]) => heard.push(`ack ${JSON.stringify(args)}`));
        engine().receive('30["ok"]');
        engine().receive('31["also ok"]');
        engine().receive('2["news",1]');
        engine().receive('2["news",2]');
        answer = socket.emitWithAck('pending').catch((error: unknown) => error);
        engine().drop();
      });

      assert.deepEqual(
        messages(errors),
        [
          'manager open',
          'socket connect',
          'ack',
          ...['manager packet', 'manager packet', 'manager packet', 'manager packet', 'manager packet'],
          ...['onAny', 'onAny', 'socket news', 'socket news'],
          'socket disconnect',
        ].sort(),
      );
      assert.deepEqual(heard, [
        'connect s1',
        'ack ["also ok"]',
        'any news',
        'news 1',
        'any news',
        'news 2',
        'disconnect transport close',
      ]);
      // The acknowledgement still waiting was answered when the connection closed.
      assert.match(String(await answer), /socket has been disconnected/);
      assert.equal(socket.connected, false);
      assert.equal(manager._readyState, 'closed');
    } finally {
      // The socket stops following the manager first: its throwing listeners hear no more events.
      socket.disconnect();
    }
  });
});
