import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { Socket } from '../../src/server/index.js';
import { startServer, type Harness, type TransportMode } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

async function connected(h: Harness, nsp = '/', options = {}): Promise<{ client: ClientSocket; socket: Socket }> {
  const serverSide = waitFor<[Socket]>(h.io.of(nsp), 'connection');
  const client = h.client(nsp, options);
  await waitFor(client, 'connect');
  const [socket] = await serverSide;
  return { client, socket };
}

describe('disconnect reasons', () => {
  test('client socket.disconnect(): "client namespace disconnect"; disconnecting sees the rooms first', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      await socket.join('room');
      let roomsWhileDisconnecting: string[] = [];
      socket.on('disconnecting', () => (roomsWhileDisconnecting = [...socket.rooms].map(String)));
      const serverReason = waitFor<[string]>(socket, 'disconnect');
      const clientReason = waitFor<[string]>(client, 'disconnect');
      client.disconnect();
      assert.equal((await serverReason)[0], 'client namespace disconnect');
      assert.equal((await clientReason)[0], 'io client disconnect');
      assert.deepEqual(roomsWhileDisconnecting.sort(), [socket.id, 'room'].sort());
      assert.equal(socket.rooms.size, 0);
      assert.equal(socket.connected, false);
      assert.equal(socket.disconnected, true);
      assert.equal(h.io.sockets.sockets.size, 0);
    } finally {
      await h.close();
    }
  });

  test('server socket.disconnect(): "server namespace disconnect", the client does not reconnect', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h, '/', { reconnection: true, reconnectionDelay: 10 });
      const serverReason = waitFor<[string]>(socket, 'disconnect');
      const clientReason = waitFor<[string]>(client, 'disconnect');
      socket.disconnect();
      assert.equal((await serverReason)[0], 'server namespace disconnect');
      assert.equal((await clientReason)[0], 'io server disconnect');
      await sleep(100);
      assert.equal(client.connected, false);
      assert.equal(h.io.sockets.sockets.size, 0);
    } finally {
      await h.close();
    }
  });

  test('socket.disconnect(true) disconnects every namespace of the connection and closes it', async () => {
    const h = await startServer();
    try {
      h.io.of('/other');
      const { client, socket } = await connected(h);
      const otherServer = waitFor<[Socket]>(h.io.of('/other'), 'connection');
      const other = client.io.socket('/other');
      await waitFor(other, 'connect');
      const [otherSocket] = await otherServer;
      const reasons = Promise.all([
        waitFor<[string]>(socket, 'disconnect'),
        waitFor<[string]>(otherSocket, 'disconnect'),
      ]);
      const closed = waitFor<[string]>(client.io, 'close');
      socket.disconnect(true);
      assert.deepEqual(
        (await reasons).map((args) => args[0]),
        ['server namespace disconnect', 'server namespace disconnect'],
      );
      await closed;
      assert.equal(h.io.engine.clientsCount, 0);
    } finally {
      await h.close();
    }
  });

  test('io.close(): "server shutting down" on the server, "transport close" on the client', async () => {
    await withServer(
      () => startServer(),
      async (h) => {
        const { client, socket } = await connected(h);
        const serverReason = waitFor<[string]>(socket, 'disconnect');
        const clientReason = waitFor<[string]>(client, 'disconnect');
        await h.io.close();
        assert.equal((await serverReason)[0], 'server shutting down');
        assert.equal((await clientReason)[0], 'transport close');
      },
    );
  });

  test('the client closes its connection: "transport close"', async () => {
    for (const mode of ['polling', 'websocket'] as TransportMode[]) {
      const h = await startServer({}, mode);
      try {
        const { client, socket } = await connected(h);
        const serverReason = waitFor<[string]>(socket, 'disconnect');
        client.io.engine.close();
        assert.equal((await serverReason)[0], 'transport close', mode);
      } finally {
        await h.close();
      }
    }
  });

  test('the Engine.IO connection is closed on the server: "forced close"', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const serverReason = waitFor<[string]>(socket, 'disconnect');
      const clientReason = waitFor<[string]>(client, 'disconnect');
      socket.conn.close();
      assert.equal((await serverReason)[0], 'forced close');
      assert.equal((await clientReason)[0], 'transport close');
    } finally {
      await h.close();
    }
  });

  test('a packet for a namespace the client has not joined: "forced server close"', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const serverReason = waitFor<[string]>(socket, 'disconnect');
      client.io.engine.send('2/elsewhere,["x"]');
      assert.equal((await serverReason)[0], 'forced server close');
      await waitFor(client, 'disconnect');
    } finally {
      await h.close();
    }
  });

  test('a client that stops answering pings: "ping timeout"', async () => {
    const h = await startServer({ pingInterval: 50, pingTimeout: 100 });
    try {
      const serverSide = waitFor<[Socket]>(h.io, 'connection');
      const raw = new WebSocket(`ws://127.0.0.1:${h.port}/socket.io/?EIO=4&transport=websocket`);
      const messages: string[] = [];
      raw.on('message', (data: Buffer) => {
        const text = data.toString();
        messages.push(text);
        // Join the main namespace once the Engine.IO handshake arrives; never answer a ping.
        if (text.startsWith('0{')) raw.send('40');
      });
      const [socket] = await serverSide;
      const [reason] = await waitFor<[string]>(socket, 'disconnect', 2000);
      assert.equal(reason, 'ping timeout');
      assert.ok(messages.some((text) => text.startsWith('40{"sid":')));
      raw.terminate();
    } finally {
      await h.close();
    }
  });

  test('the client reconnects after its transport drops and gets a new session', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h, '/', {
        reconnection: true,
        reconnectionDelay: 20,
        reconnectionDelayMax: 20,
      });
      const firstId = socket.id;
      const serverReason = waitFor<[string]>(socket, 'disconnect');
      const next = waitFor<[Socket]>(h.io, 'connection');
      (client.io.engine as unknown as { transport: { ws: WebSocket } }).transport.ws.close();
      assert.equal((await serverReason)[0], 'transport close');
      const [second] = await next;
      await waitFor(client, 'connect');
      assert.notEqual(second.id, firstId);
      assert.equal(client.id, second.id);
      assert.equal(second.recovered, false);
    } finally {
      await h.close();
    }
  });
});

const MALFORMED: { name: string; messages: (string | Buffer)[] }[] = [
  { name: 'unknown packet type', messages: ['9["x"]'] },
  { name: 'invalid JSON', messages: ['2["x"'] },
  { name: 'non-array EVENT payload', messages: ['2{"x":1}'] },
  { name: 'reserved event name', messages: ['2["disconnect"]'] },
  { name: 'bad ack id', messages: ['299999999999999999999["x"]'] },
  { name: 'bad namespace', messages: ['2/\u0001,["x"]'] },
  { name: 'too many attachments', messages: ['511-["x"]'] },
  { name: 'nested too deep', messages: [`2["x",${'['.repeat(200)}${']'.repeat(200)}]`] },
  {
    name: 'wrong attachment count',
    messages: ['52-["x",{"_placeholder":true,"num":0}]', Buffer.from('a'), Buffer.from('b')],
  },
  { name: 'binary out of turn', messages: [Buffer.from('stray')] },
  { name: 'CONNECT_ERROR from a client', messages: ['4{"message":"x"}'] },
];

for (const mode of ['polling', 'websocket'] as TransportMode[]) {
  describe(`malformed packets over ${mode} disconnect that client only`, () => {
    for (const { name, messages } of MALFORMED) {
      test(name, async () => {
        const h = await startServer({}, mode);
        try {
          h.io.on('connection', (socket: Socket) => socket.on('ping', (ack: (v: string) => void) => ack('pong')));
          const bad = await connected(h);
          const good = await connected(h);
          const reason = waitFor<[string]>(bad.socket, 'disconnect');
          const clientSide = waitFor<[string]>(bad.client, 'disconnect');
          for (const message of messages) bad.client.io.engine.send(message);
          const expected = name === 'CONNECT_ERROR from a client' ? 'forced server close' : 'parse error';
          assert.equal((await reason)[0], expected);
          assert.equal((await clientSide)[0], 'transport close');
          assert.equal(await good.client.timeout(1000).emitWithAck('ping'), 'pong');
          assert.equal(good.socket.connected, true);
          assert.equal(h.io.sockets.sockets.size, 1);
        } finally {
          await h.close();
        }
      });
    }
  });
}

describe('parse errors reach error listeners', () => {
  test('the socket emits "error" with the decoder error before it disconnects', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connected(h);
      const errored = waitFor<[Error & { code?: string }]>(socket, 'error');
      client.io.engine.send('2["connect"]');
      const [err] = await errored;
      assert.equal(err.code, 'ERR_SIO_RESERVED_EVENT_NAME');
    } finally {
      await h.close();
    }
  });

  test("a binary packet with a bad or missing attachment count is reported in the official decoder's words", async () => {
    for (const message of ['5woooot', '5']) {
      const h = await startServer();
      try {
        const { client, socket } = await connected(h);
        const errored = waitFor<[Error & { code?: string }]>(socket, 'error');
        const reason = waitFor<[string]>(socket, 'disconnect');
        client.io.engine.send(message);
        const [err] = await errored;
        assert.match(err.message, /Illegal attachments/, message);
        assert.equal(err.code, 'ERR_SIO_ILLEGAL_ATTACHMENTS');
        assert.equal((await reason)[0], 'parse error');
      } finally {
        await h.close();
      }
    }
  });
});

describe('an event sent just before the client disconnects', () => {
  // The official server defers each event by a tick and drops it if the DISCONNECT came in the same
  // read (one POST, or one TCP chunk); here every event the client sent first is delivered first.
  for (const mode of ['polling', 'websocket'] as TransportMode[]) {
    test(`is delivered, before 'disconnect' (${mode})`, async () => {
      const h = await startServer({}, mode);
      try {
        const { client, socket } = await connected(h);
        const seen: string[] = [];
        socket.on('last words', (bytes: Buffer) => seen.push(`last words ${bytes.length}`));
        const gone = waitFor<[string]>(socket, 'disconnect');
        socket.on('disconnect', () => seen.push('disconnect'));
        client.emit('last words', Buffer.alloc(10));
        client.disconnect();
        assert.equal((await gone)[0], 'client namespace disconnect');
        assert.deepEqual(seen, ['last words 10', 'disconnect']);
      } finally {
        await h.close();
      }
    });
  }
});

describe('configured decoder limits are enforced', () => {
  test('maxAttachments, maxNestingDepth and maxNamespaceLength from the server options bound what a client may send', async () => {
    const h = await startServer({ maxAttachments: 1, maxNestingDepth: 3, maxNamespaceLength: 8 });
    try {
      h.io.on('connection', (socket: Socket) =>
        socket.on('echo', (_value: unknown, ack: (v: string) => void) => ack('ok')),
      );
      const fits = await connected(h);
      // One attachment and three levels (the event array counts) are just within the limits.
      assert.equal(await fits.client.timeout(1000).emitWithAck('echo', Buffer.from('a')), 'ok');
      assert.equal(await fits.client.timeout(1000).emitWithAck('echo', [[1]]), 'ok');
      // A namespace of 8 characters is accepted (and refused as unknown); one of 9 is a parse error.
      const unknown = fits.client.io.socket('/abcdefg');
      assert.equal((await waitFor<[Error]>(unknown, 'connect_error'))[0].message, 'Invalid namespace');
      for (const message of [
        '52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        '2["x",[[[1]]]]',
        '40/abcdefgh,',
      ]) {
        const { client, socket } = await connected(h);
        const reason = waitFor<[string]>(socket, 'disconnect');
        client.io.engine.send(message);
        assert.equal((await reason)[0], 'parse error', message);
      }
      assert.equal(fits.socket.connected, true);
    } finally {
      await h.close();
    }
  });
});

describe('nothing is left behind', () => {
  test('after many clients come and go, every map on the server is empty again', async () => {
    const h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 1000 } });
    try {
      h.io.of('/other');
      for (let round = 0; round < 3; round++) {
        const batch = await Promise.all(
          Array.from({ length: 10 }, async (_, i) => {
            const { client, socket } = await connected(h);
            await socket.join(['shared', `own-${i}`]);
            client.on('q', (ack: () => void) => ack());
            const other = client.io.socket('/other');
            await waitFor(other, 'connect');
            return { client, other };
          }),
        );
        // Pending broadcast acks, unanswered timed acks, recovery sessions: all must be released.
        await h.io.timeout(500).emitWithAck('q');
        for (const [index, { client, other }] of batch.entries()) {
          if (index % 2 === 0) {
            client.disconnect();
            other.disconnect();
          } else {
            client.io.engine.close();
          }
        }
        await sleep(100);
      }
      const adapter = h.io.sockets.adapter;
      assert.equal(h.io.sockets.sockets.size, 0);
      assert.equal(h.io.of('/other').sockets.size, 0);
      assert.equal(adapter.rooms.size, 0);
      assert.equal(adapter.sids.size, 0);
      assert.equal(h.io.of('/other').adapter.rooms.size, 0);
      assert.equal(h.io.engine.clientsCount, 0);
    } finally {
      await h.close();
    }
  });
});
