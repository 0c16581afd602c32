/**
 * The classes of `socket.io-adapter` (which every official adapter extends) as our server's
 * adapter, and `io.adapter()`: the getter, the setter on existing namespaces, factories.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Adapter as OfficialInMemoryAdapter, SessionAwareAdapter } from 'socket.io-adapter';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { WebSocket } from 'ws';
import { InMemoryAdapter, type AdapterNamespace } from '../../src/adapter/index.js';
import type { Socket } from '../../src/server/index.js';
import { startServer } from '../server/helpers.js';
import { connectedClient, nextOnEach } from './services.js';
import { waitFor } from '../helpers/wait.js';

/** Drops the client's WebSocket without an Engine.IO close packet, as a network failure would. */
function dropTransport(client: ClientSocket): void {
  (client.io.engine as unknown as { transport: { ws: WebSocket } }).transport.ws.close();
}

describe("socket.io-adapter's classes as our server's adapter", () => {
  test('Adapter: room broadcasts, binary data, outgoing listeners and broadcast acknowledgements', async () => {
    const h = await startServer({ adapter: OfficialInMemoryAdapter });
    try {
      const one = await connectedClient(h.url, h.clients);
      const two = await connectedClient(h.url, h.clients);
      assert.ok(h.io.sockets.adapter instanceof OfficialInMemoryAdapter);
      const socketOne = h.io.sockets.sockets.get(one.id!)!;
      await socketOne.join('pair');
      const outgoing: unknown[][] = [];
      socketOne.onAnyOutgoing((...args) => outgoing.push(args));

      const inRoom = waitFor(one, 'room news');
      h.io.to('pair').emit('room news', Buffer.from('abc'));
      assert.equal(Buffer.from((await inRoom)[0] as ArrayBuffer).toString(), 'abc');
      assert.equal(outgoing[0]?.[0], 'room news');

      one.on('poll', (answer: (vote: string) => void) => answer('yes'));
      two.on('poll', (answer: (vote: string) => void) => answer('no'));
      assert.deepEqual((await h.io.timeout(2000).emitWithAck('poll')).sort(), ['no', 'yes']);
      const direct = await socketOne.timeout(2000).emitWithAck('poll');
      assert.equal(direct, 'yes');

      const everyone = nextOnEach([one, two], 'all');
      h.io.except('pair').emit('all', 'not pair');
      h.io.emit('all', 'everyone');
      const [first, second] = await everyone;
      assert.deepEqual([first?.[0], second?.[0]], ['everyone', 'not pair']);
    } finally {
      await h.close();
    }
  });

  test('SessionAwareAdapter: with connection state recovery, a dropped client gets its session and missed packets back', async () => {
    const h = await startServer({
      adapter: SessionAwareAdapter,
      connectionStateRecovery: { maxDisconnectionDuration: 2000 },
    });
    try {
      const client = h.client('/', { reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 20 });
      const [socket] = await waitFor<[Socket]>(h.io, 'connection');
      await waitFor(client, 'connect');
      await socket.join('room');
      const received: string[] = [];
      client.on('news', (text: string) => received.push(text));
      const first = waitFor(client, 'news');
      h.io.to('room').emit('news', 'before');
      await first;

      const gone = waitFor(socket, 'disconnect');
      const back = waitFor<[Socket]>(h.io, 'connection');
      dropTransport(client);
      await gone;
      h.io.to('room').emit('news', 'while away');
      const [restored] = await back;
      await waitFor(client, 'connect');
      assert.equal(restored.recovered, true);
      assert.equal(restored.id, socket.id);
      assert.ok(restored.rooms.has('room'));
      const after = waitFor(client, 'news');
      h.io.emit('news', 'after');
      await after;
      assert.deepEqual(received, ['before', 'while away', 'after']);
    } finally {
      await h.close();
    }
  });

  test('Adapter without recovery support: a client asking for recovery starts a new session (restoreSession answers null)', async () => {
    const h = await startServer({ adapter: OfficialInMemoryAdapter, connectionStateRecovery: {} });
    try {
      const client = h.client('/', { reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 20 });
      const [socket] = await waitFor<[Socket]>(h.io, 'connection');
      await waitFor(client, 'connect');
      const back = waitFor<[Socket]>(h.io, 'connection');
      dropTransport(client);
      const [again] = await back;
      assert.equal(again.recovered, false);
      assert.notEqual(again.id, socket.id);
    } finally {
      await h.close();
    }
  });
});

describe('io.adapter()', () => {
  test('the setter gives existing namespaces a new adapter, closing the old one, and applies to later ones', async () => {
    const closed: string[] = [];
    class Tracked extends InMemoryAdapter {
      override close(): void {
        closed.push(this.nsp.name);
        void super.close();
      }
    }
    const h = await startServer({ adapter: Tracked });
    try {
      const chat = h.io.of('/chat');
      assert.equal(h.io.adapter(), Tracked);
      const built: string[] = [];
      // An arrow function cannot be called with `new`; it is called plainly.
      const factory = (nsp: AdapterNamespace): InMemoryAdapter => {
        built.push(nsp.name);
        return new InMemoryAdapter(nsp);
      };
      assert.equal(h.io.adapter(factory), h.io);
      assert.equal(h.io.adapter(), factory);
      assert.deepEqual(closed.sort(), ['/', '/chat']);
      assert.ok(!(chat.adapter instanceof Tracked));
      h.io.of('/later');
      assert.deepEqual(built, ['/', '/chat', '/later']);

      const client = await connectedClient(`${h.url}/chat`, h.clients);
      const news = waitFor(client, 'news');
      chat.emit('news', 'through the new adapter');
      assert.deepEqual(await news, ['through the new adapter']);
    } finally {
      await h.close();
    }
  });

  test('anything but a function is refused, naming what to pass', async () => {
    const h = await startServer();
    try {
      assert.throws(
        () => h.io.adapter({} as never),
        /adapter: expected an adapter class or a function returning an adapter/,
      );
    } finally {
      await h.close();
    }
  });
});
