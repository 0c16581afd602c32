/**
 * `@socket.io/admin-ui`'s `instrument()`, unchanged, on our server: an official client on the
 * `/admin` namespace (what the admin UI's page is) sees our sockets and can act on them.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { instrument } from '@socket.io/admin-ui';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { Server } from '../../src/server/index.js';
import { TRANSPORT_MODES, startServer, type Harness } from '../server/helpers.js';
import { connectedClient } from './services.js';
import { sleep, until, waitFor } from '../helpers/wait.js';

/** What admin-ui says about a socket (the fields these tests read). */
interface SerializedSocket {
  id: string;
  clientId: string;
  transport: string;
  nsp: string;
  rooms: string[];
  data: Record<string, unknown>;
  handshake: { address: string; query: Record<string, unknown> };
}

interface ServerStats {
  clientsCount: number;
  pollingClientsCount: number;
  aggregatedEvents: { type: string; count: number }[];
  namespaces: { name: string; socketsCount: number }[];
}

type InstrumentedServer = Parameters<typeof instrument>[0];

/** Instruments a fresh server with `mode`, after one application client connected. */
async function instrumented(mode: 'development' | 'production'): Promise<{ h: Harness; app: ClientSocket }> {
  const h = await startServer();
  h.io.on('connection', (socket) => {
    socket.data.nickname = 'ada';
  });
  const app = await connectedClient(h.url, h.clients);
  // Our Server is not the official class, so the official types do not know it; the runtime contract is what counts.
  instrument(h.io as unknown as InstrumentedServer, { auth: false, mode });
  return { h, app };
}

describe('@socket.io/admin-ui on our server', () => {
  test('development mode: the admin namespace gets the config, every socket and the server stats', async () => {
    const { h, app } = await instrumented('development');
    try {
      const admin = h.client('/admin');
      const config = waitFor<[{ supportedFeatures: string[] }]>(admin, 'config');
      const allSockets = waitFor<[SerializedSocket[]]>(admin, 'all_sockets');
      const stats = waitFor<[ServerStats]>(admin, 'server_stats', 4000);
      await waitFor(admin, 'connect');
      const [{ supportedFeatures }] = await config;
      for (const feature of ['EMIT', 'JOIN', 'LEAVE', 'DISCONNECT', 'MJOIN', 'MLEAVE', 'MDISCONNECT', 'ALL_EVENTS']) {
        assert.ok(supportedFeatures.includes(feature), `feature ${feature}`);
      }
      const [sockets] = await allSockets;
      const appSocket = sockets.find((socket) => socket.id === app.id);
      assert.ok(appSocket, 'the application socket is listed');
      assert.equal(appSocket.nsp, '/');
      assert.deepEqual(appSocket.rooms, [app.id]);
      assert.deepEqual(appSocket.data, { nickname: 'ada' });
      assert.equal(appSocket.handshake.address, '127.0.0.1');
      assert.ok(
        sockets.some((socket) => socket.nsp === '/admin'),
        'the admin socket itself is listed',
      );
      const [serverStats] = await stats;
      assert.equal(serverStats.clientsCount, 2);
      assert.deepEqual(
        serverStats.namespaces.find((nsp) => nsp.name === '/'),
        { name: '/', socketsCount: 1 },
      );
    } finally {
      await h.close();
    }
  });

  test('development mode: connections, rooms, events and disconnections are reported as they happen', async () => {
    const { h } = await instrumented('development');
    try {
      const admin = h.client('/admin');
      await waitFor(admin, 'all_sockets');
      const stats: ServerStats[] = [];
      admin.on('server_stats', (latest: ServerStats) => stats.push(latest));
      const connected = waitFor<[SerializedSocket]>(admin, 'socket_connected');
      const newcomer = await connectedClient(h.url, h.clients);
      const [socket] = await connected;
      assert.equal(socket.id, newcomer.id);
      assert.equal(socket.transport, 'websocket');
      assert.equal(socket.clientId, newcomer.io.engine.id.slice(0, 12));

      const joined = waitFor(admin, 'room_joined');
      const serverSocket = h.io.sockets.sockets.get(newcomer.id!)!;
      await serverSocket.join('kitchen');
      assert.deepEqual((await joined).slice(0, 3), ['/', 'kitchen', newcomer.id]);

      const received = waitFor(admin, 'event_received');
      newcomer.emit('order', 'tea');
      assert.deepEqual((await received).slice(0, 3), ['/', newcomer.id, ['order', 'tea']]);
      const sent = waitFor(admin, 'event_sent');
      serverSocket.emit('served', 'tea');
      assert.deepEqual((await sent).slice(0, 3), ['/', newcomer.id, ['served', 'tea']]);

      const left = waitFor(admin, 'socket_disconnected');
      const id = newcomer.id;
      newcomer.disconnect();
      assert.deepEqual((await left).slice(0, 3), ['/', id, 'client namespace disconnect']);
    } finally {
      await h.close();
    }
  });

  test('the admin commands act on our sockets: join a room, emit to it, disconnect', async () => {
    const { h, app } = await instrumented('development');
    try {
      const admin = h.client('/admin');
      await waitFor(admin, 'config');
      const joined = waitFor(admin, 'room_joined');
      admin.emit('join', '/', 'vip');
      await joined;
      const news = waitFor(app, 'notice');
      admin.emit('emit', '/', 'vip', 'notice', 'from the admin');
      assert.deepEqual(await news, ['from the admin']);
      const gone = waitFor(app, 'disconnect');
      admin.emit('_disconnect', '/', false, 'vip');
      assert.equal((await gone)[0], 'io server disconnect');
    } finally {
      await h.close();
    }
  });

  test('production mode: the config without the per-socket features, and the server stats', async () => {
    const { h } = await instrumented('production');
    try {
      const admin = h.client('/admin');
      const [{ supportedFeatures }] = await waitFor<[{ supportedFeatures: string[] }]>(admin, 'config');
      assert.ok(!supportedFeatures.includes('ALL_EVENTS'));
      const [serverStats] = await waitFor<[ServerStats]>(admin, 'server_stats', 4000);
      assert.deepEqual(
        serverStats.namespaces.find((nsp) => nsp.name === '/'),
        { name: '/', socketsCount: 1 },
      );
    } finally {
      await h.close();
    }
  });

  test('instrument() before the server is attached, the usual order in apps: engine statistics and transports after an upgrade', async () => {
    const io = new Server({ pingInterval: 2000, pingTimeout: 5000 });
    const clients: ClientSocket[] = [];
    instrument(io as unknown as InstrumentedServer, { auth: false, mode: 'development' });
    // Later than the tick in which the admin UI looks again for an engine it did not find.
    await sleep(20);
    const http = createServer();
    io.attach(http);
    http.listen(0, '127.0.0.1');
    try {
      await waitFor(http, 'listening');
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const admin = connect(`${url}/admin`, { forceNew: true, reconnection: false, transports: ['websocket'] });
      clients.push(admin);
      await waitFor(admin, 'all_sockets');
      const stats: ServerStats[] = [];
      admin.on('server_stats', (latest: ServerStats) => stats.push(latest));
      const connected = waitFor<[SerializedSocket]>(admin, 'socket_connected');
      const updated = waitFor<[{ id: string; transport?: string }]>(admin, 'socket_updated');
      const app = connect(url, { forceNew: true, reconnection: false, ...TRANSPORT_MODES.upgrade });
      clients.push(app);
      const [socket] = await connected;
      assert.equal(socket.transport, 'polling');
      const [update] = await updated;
      assert.deepEqual(update, { id: socket.id, nsp: '/', transport: 'websocket' });

      // The engine listeners the admin UI added before attach() count the raw connections.
      // Stats go out every 2 s, each with the events since the one before.
      await until(
        () => stats.some((each) => each.aggregatedEvents.some((event) => event.type === 'rawConnection')),
        5000,
        'raw connections counted',
      );
      // Two engine clients, none polling any more: the admin UI heard the upgrade.
      await until(
        () => stats.at(-1)?.clientsCount === 2 && stats.at(-1)?.pollingClientsCount === 0,
        5000,
        'two clients, none polling',
      );
    } finally {
      for (const client of clients) client.disconnect();
      await io.close();
    }
  });
});
