/**
 * The shared waits and `withServer`: each wait gives up in bounded time naming what it awaited, and a
 * server is closed whether the test body passes or throws.
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import { describe, it } from 'node:test';
import { WebSocket } from '../../src/ws/index.js';
import { sleep, until, waitFor, withTimeout } from './wait.js';
import { withServer } from './with-server.js';
import { startServer } from './ws-peers.js';

describe('until', () => {
  it('resolves once the predicate holds, sync or async', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 20);
    await until(() => ready, 2000, 'ready');
    await until(async () => ready, 2000, 'ready again');
  });

  it('rejects after the timeout, naming what it waited for (lazily, to say how far it got)', async () => {
    await assert.rejects(
      until(() => false, 30, 'the moon'),
      { message: 'timed out after 30 ms waiting for the moon' },
    );
    let polls = 0;
    await assert.rejects(
      until(
        () => ++polls < 0,
        30,
        () => `polls to stop (${polls > 1 ? 'many' : 'one'})`,
      ),
      {
        message: 'timed out after 30 ms waiting for polls to stop (many)',
      },
    );
  });
});

describe('waitFor', () => {
  it('resolves with the arguments of the next event of an EventEmitter, and does not reject on "error"', async () => {
    const emitter = new EventEmitter();
    const next = waitFor<[number, string]>(emitter, 'data');
    emitter.on('error', () => undefined);
    emitter.emit('error', new Error('reported, then closed'));
    emitter.emit('data', 1, 'one');
    assert.deepEqual(await next, [1, 'one']);
  });

  it('resolves with the event of an EventTarget', async () => {
    const target = new EventTarget();
    const next = waitFor<[Event]>(target, 'ping');
    target.dispatchEvent(new Event('ping'));
    const [event] = await next;
    assert.equal(event.type, 'ping');
  });

  it('rejects after the timeout naming the event, and stops listening', async () => {
    const emitter = new EventEmitter();
    await assert.rejects(waitFor(emitter, 'never', 30), { message: "timed out after 30 ms waiting for 'never'" });
    assert.equal(emitter.listenerCount('never'), 0);
    const target = new EventTarget();
    await assert.rejects(waitFor(target, 'never', 30), /waiting for 'never'/);
  });

  it('refuses what is neither an emitter nor an EventTarget', async () => {
    await assert.rejects(waitFor({}, 'x'), { name: 'TypeError' });
  });
});

describe('withTimeout and sleep', () => {
  it('passes a settled promise through, and names what did not settle in time', async () => {
    assert.equal(await withTimeout(Promise.resolve(7), 'seven'), 7);
    await assert.rejects(withTimeout(sleep(1000), 'a long nap', 30), {
      message: 'timed out after 30 ms waiting for a long nap',
    });
  });
});

describe('withServer', () => {
  it('closes the server after the body, and returns what the body returns', async () => {
    let started: http.Server | undefined;
    const port = await withServer(
      async () => {
        started = http.createServer().listen(0, '127.0.0.1');
        await once(started, 'listening');
        return started;
      },
      (server) => (server.address() as { port: number }).port,
    );
    assert.ok(port > 0);
    assert.equal(started?.listening, false);
  });

  it('closes the server when an assertion fails, even with a client left open, and rethrows that failure', async () => {
    let closed = false;
    await assert.rejects(
      withServer(
        () => startServer(),
        async (server) => {
          server.wss.on('close', () => (closed = true));
          const client = new WebSocket(server.url);
          await waitFor(client, 'open');
          // The client is never closed: the server must still close, without waiting out a close handshake.
          client.on('close', () => undefined);
          assert.equal(1, 2);
        },
      ),
      { name: 'AssertionError' },
    );
    assert.equal(closed, true);
  });
});
