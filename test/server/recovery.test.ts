import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { WebSocket } from 'ws';
import type { ServerOptions, Socket } from '../../src/server/index.js';
import { startServer, type Harness, type TransportMode } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

const RECONNECT = { reconnection: true, reconnectionDelay: 20, reconnectionDelayMax: 20 };

async function connected(h: Harness, options = {}): Promise<{ client: ClientSocket; socket: Socket }> {
  const serverSide = waitFor<[Socket]>(h.io, 'connection');
  const client = h.client('/', { ...RECONNECT, ...options });
  await waitFor(client, 'connect');
  const [socket] = await serverSide;
  return { client, socket };
}

/** Drops the client's WebSocket without an Engine.IO close packet, as a network failure would. */
function dropTransport(client: ClientSocket): void {
  (client.io.engine as unknown as { transport: { ws: WebSocket } }).transport.ws.close();
}

async function recoveryServer(options: ServerOptions = {}, mode: TransportMode = 'websocket'): Promise<Harness> {
  return startServer({ connectionStateRecovery: { maxDisconnectionDuration: 1000 }, ...options }, mode);
}

describe('connection state recovery', () => {
  test('the CONNECT reply carries a private session id, every EVENT an offset', async () => {
    const h = await recoveryServer();
    try {
      const { client, socket } = await connected(h);
      const packets: string[] = [];
      client.io.engine.on('packet', (packet: { data?: unknown }) => packets.push(String(packet.data)));
      assert.equal(typeof socket.pid, 'string');
      const got = waitFor<unknown[]>(client, 'hello');
      socket.emit('hello', 'direct');
      // As with the official server, the offset is the last argument; the client remembers it for recovery.
      const [text, offset] = await got;
      assert.equal(text, 'direct');
      assert.equal(typeof offset, 'string');
      assert.equal(packets.at(-1), `2["hello","direct","${String(offset)}"]`);
    } finally {
      await h.close();
    }
  });

  test('after a dropped transport: same id, rooms and data back, missed room events replayed, recovered = true', async () => {
    const h = await recoveryServer();
    try {
      const { client, socket } = await connected(h);
      await socket.join('room');
      socket.data.user = 'alice';
      const received: string[] = [];
      client.on('news', (text: string) => received.push(text));
      const first = waitFor(client, 'news');
      h.io.to('room').emit('news', 'before');
      await first;

      const gone = waitFor<[string]>(socket, 'disconnect');
      const back = waitFor<[Socket]>(h.io, 'connection');
      dropTransport(client);
      assert.equal((await gone)[0], 'transport close');
      // Sent while the member is away: must not be lost.
      h.io.to('room').emit('news', 'while away 1');
      h.io.emit('news', 'while away 2');
      h.io.to('other-room').emit('news', 'not for us');
      h.io.except('room').emit('news', 'excluded');

      const [restored] = await back;
      await waitFor(client, 'connect');
      assert.equal(restored.recovered, true);
      assert.equal(client.recovered, true);
      assert.equal(restored.id, socket.id);
      assert.equal(client.id, socket.id);
      assert.deepEqual(restored.data, { user: 'alice' });
      assert.ok(restored.rooms.has('room'));
      await sleep(50);
      assert.deepEqual(received, ['before', 'while away 1', 'while away 2']);

      const after = waitFor(client, 'news');
      h.io.to('room').emit('news', 'after');
      await after;
      assert.deepEqual(received.at(-1), 'after');
    } finally {
      await h.close();
    }
  });

  for (const mode of ['polling', 'upgrade'] as TransportMode[]) {
    test(`over ${mode}: a session closed under the client is recovered with the room events it missed`, async () => {
      const h = await recoveryServer({}, mode);
      try {
        const { client, socket } = await connected(h);
        if (mode === 'upgrade' && client.io.engine.transport.name !== 'websocket')
          await waitFor(client.io.engine, 'upgrade');
        await socket.join('room');
        const first = waitFor(client, 'news');
        h.io.to('room').emit('news', 'before');
        await first;
        const gone = waitFor<[string]>(socket, 'disconnect');
        const back = waitFor<[Socket]>(h.io, 'connection');
        client.io.engine.close();
        assert.equal((await gone)[0], 'transport close');
        h.io.to('room').emit('news', 'while away', Buffer.from([1, 2]));
        const missed = waitFor<unknown[]>(client, 'news');
        const [restored] = await back;
        assert.equal(restored.recovered, true);
        assert.equal(restored.id, socket.id);
        const [text, binary] = await missed;
        assert.equal(text, 'while away');
        assert.deepEqual([...new Uint8Array(binary as ArrayBuffer)], [1, 2]);
        assert.equal(client.recovered, true);
      } finally {
        await h.close();
      }
    });
  }

  test('a client that had received nothing yet still gets what was sent to its rooms while it was away', async () => {
    const h = await recoveryServer();
    try {
      const { client, socket } = await connected(h);
      // Sent before it joined: not for this client, not replayed.
      h.io.to('quiet-room').emit('news', 'before joining');
      await socket.join('quiet-room');
      const gone = waitFor<[string]>(socket, 'disconnect');
      const back = waitFor<[Socket]>(h.io, 'connection');
      dropTransport(client);
      await gone;
      h.io.to('quiet-room').emit('news', 'while away');
      const received: string[] = [];
      client.on('news', (text: string) => received.push(text));
      const [restored] = await back;
      await waitFor(client, 'connect');
      assert.equal(restored.recovered, true);
      assert.equal(client.recovered, true);
      assert.equal(restored.id, socket.id);
      await sleep(50);
      assert.deepEqual(received, ['while away']);
    } finally {
      await h.close();
    }
  });

  test('middlewares are skipped for a recovered session unless skipMiddlewares is false', async () => {
    for (const skipMiddlewares of [true, false]) {
      const h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 1000, skipMiddlewares } });
      try {
        let runs = 0;
        h.io.use((_socket, next) => {
          runs++;
          next();
        });
        const { client } = await connected(h);
        const got = waitFor(client, 'x');
        h.io.emit('x');
        await got;
        const back = waitFor<[Socket]>(h.io, 'connection');
        dropTransport(client);
        const [restored] = await back;
        assert.equal(restored.recovered, true);
        assert.equal(runs, skipMiddlewares ? 1 : 2);
      } finally {
        await h.close();
      }
    }
  });

  test('past maxDisconnectionDuration, the client gets a new session', async () => {
    const h = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 30 } });
    try {
      const { client, socket } = await connected(h, { reconnectionDelay: 150, reconnectionDelayMax: 150 });
      const got = waitFor(client, 'x');
      h.io.emit('x');
      await got;
      const back = waitFor<[Socket]>(h.io, 'connection');
      dropTransport(client);
      const [fresh] = await back;
      assert.equal(fresh.recovered, false);
      assert.notEqual(fresh.id, socket.id);
      await waitFor(client, 'connect');
      assert.equal(client.recovered, false);
    } finally {
      await h.close();
    }
  });

  test('a client that left on purpose is not recovered', async () => {
    const h = await recoveryServer();
    try {
      const { client, socket } = await connected(h);
      const got = waitFor(client, 'x');
      h.io.emit('x');
      await got;
      client.disconnect();
      await waitFor(socket, 'disconnect');
      const back = waitFor<[Socket]>(h.io, 'connection');
      client.connect();
      const [fresh] = await back;
      assert.equal(fresh.recovered, false);
      assert.notEqual(fresh.id, socket.id);
    } finally {
      await h.close();
    }
  });

  test('the missed packets go out before the CONNECT, as the official server sends them', async () => {
    const h = await recoveryServer({}, 'polling');
    try {
      // No reconnection: the raw session below must be the one to recover, not the client racing it.
      const { client, socket } = await connected(h, { reconnection: false });
      await socket.join('room');
      const first = waitFor(client, 'news');
      h.io.emit('news', 'seen');
      await first;
      const { pid } = socket;
      const [offset] = (await new Promise<unknown[]>((resolve) => {
        client.once('news', (...args: unknown[]) => resolve(args.slice(1)));
        h.io.emit('news', 'last seen');
      })) as [string];
      // The session ends under the client, which is told nothing (no reconnection here).
      const gone = waitFor(socket, 'disconnect');
      client.io.engine.close();
      await gone;
      h.io.emit('news', 'to all');
      h.io.to('room').emit('news', 'to the room');
      socket.emit('news', 'to the socket');

      // A raw Engine.IO session asks for recovery with the pid and the last offset seen.
      const base = `${h.url}/socket.io/?EIO=4&transport=polling`;
      const open = await (await fetch(base)).text();
      const { sid } = JSON.parse(open.slice(1)) as { sid: string };
      const recovered = waitFor<[Socket]>(h.io, 'connection');
      const posted = await fetch(`${base}&sid=${sid}`, {
        method: 'POST',
        body: `40${JSON.stringify({ pid, offset })}`,
      });
      assert.equal(await posted.text(), 'ok');
      await recovered;
      const packets = (await (await fetch(`${base}&sid=${sid}`)).text()).split('\x1e');
      assert.deepEqual(
        packets.map((packet) => packet.replace(/,"[^"]+"\]$/, ']')),
        [
          '42["news","to all"]',
          '42["news","to the room"]',
          '42["news","to the socket"]',
          `40{"sid":"${socket.id}","pid":"${pid}"}`,
        ],
      );
      await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '1' });
    } finally {
      await h.close();
    }
  });

  test('a forged or unknown pid is simply a new session', async () => {
    const h = await recoveryServer();
    try {
      const { socket } = await connected(h, { auth: { pid: 'forged', offset: 'nope' } });
      assert.equal(socket.recovered, false);
      assert.deepEqual(socket.handshake.auth, { pid: 'forged', offset: 'nope' });
    } finally {
      await h.close();
    }
  });
});
