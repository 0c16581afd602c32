/**
 * The two servers the hostile suite attacks, started on loopback with a well-behaved client
 * already connected: the WebSocket server (echo) and the realtime server (an `echo` event
 * acknowledged with its arguments). `roundTrip()` proves the healthy client is still served.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { createHttpServer, type HttpServerLimits } from '../../src/engine/index.js';
import { Server, type ServerOptions, type Socket } from '../../src/server/index.js';
import { WebSocket, type WebSocketServer, type WebSocketServerOptions } from '../../src/ws/index.js';
import { TRANSPORT_MODES, type TransportMode } from '../server/helpers.js';
import { startServer as startWebSocketHarness } from '../helpers/ws-peers.js';
import { SOCKET_IO_PATHS } from './attackers.js';
import { waitFor } from '../helpers/wait.js';

/** What every target offers a test. */
export interface HostileTarget {
  /** For test names: `'WebSocketServer'` or `'realtime Server'`. */
  readonly name: string;
  readonly port: number;
  /** Where a raw WebSocket client upgrades (the Engine.IO path for the realtime server). */
  readonly webSocketPath: string;
  /** Sends one message from the healthy client and resolves once it has come back. */
  roundTrip(): Promise<void>;
  /** Registers an attacker's cleanup (e.g. destroying its socket), run first by {@link close}. */
  defer(cleanup: () => unknown): void;
  /** Runs the deferred cleanups, closes the healthy client, then the server. */
  close(): Promise<void>;
}

/** A list of cleanups that `run()` calls once each, whatever they throw. */
function cleanups(): { defer(cleanup: () => unknown): void; run(): Promise<void> } {
  const pending: (() => unknown)[] = [];
  return {
    defer: (cleanup) => void pending.push(cleanup),
    async run() {
      for (const cleanup of pending.splice(0))
        await Promise.resolve()
          .then(cleanup)
          .catch(() => undefined);
    },
  };
}

/** The WebSocket server under attack. */
export interface WebSocketTarget extends HostileTarget {
  readonly wss: WebSocketServer;
  /** The healthy client. */
  readonly healthy: WebSocket;
}

/** The realtime (Socket.IO) server under attack. */
export interface RealtimeTarget extends HostileTarget {
  readonly io: Server;
  /** The healthy client. */
  readonly healthy: ClientSocket;
}

/** Starts a `WebSocketServer` on its own loopback port that echoes every message, and a healthy client. */
export async function startWebSocketTarget(
  options: Omit<WebSocketServerOptions, 'port' | 'server' | 'noServer'> = {},
): Promise<WebSocketTarget> {
  const server = await startWebSocketHarness(options);
  server.wss.on('connection', (socket) => {
    socket.on('error', () => undefined);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const healthy = new WebSocket(server.url);
  healthy.on('error', () => undefined);
  await waitFor(healthy, 'open');
  let sequence = 0;
  const deferred = cleanups();
  return {
    name: 'WebSocketServer',
    wss: server.wss,
    healthy,
    port: server.port,
    webSocketPath: '/',
    async roundTrip() {
      const text = `healthy ${++sequence}`;
      const echoed = waitFor<[Buffer]>(healthy, 'message');
      healthy.send(text);
      assert.equal((await echoed)[0].toString(), text);
    },
    defer: deferred.defer,
    async close() {
      await deferred.run();
      healthy.terminate();
      await server.close();
    },
  };
}

/**
 * Starts a realtime `Server` on a loopback HTTP server made by `createHttpServer` (the server it
 * creates for itself when given a port, with the same limits unless `httpLimits` changes them),
 * whose sockets acknowledge `echo` with its arguments, and a healthy official client over `mode`.
 * Heartbeats are roomy enough for a loaded machine unless `options` set them.
 */
export async function startRealtimeTarget(
  options: ServerOptions = {},
  mode: TransportMode = 'websocket',
  httpLimits: HttpServerLimits = {},
): Promise<RealtimeTarget> {
  const http = createHttpServer(httpLimits);
  const io = new Server(http, { pingInterval: 2000, pingTimeout: 5000, ...options });
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  const port = (http.address() as AddressInfo).port;
  io.on('connection', (socket: Socket) => {
    socket.on('echo', (...args: unknown[]) => {
      const ack = args.pop();
      if (typeof ack === 'function') ack(...args);
    });
  });
  const healthy = connect(`http://127.0.0.1:${port}`, {
    forceNew: true,
    reconnection: false,
    timeout: 2000,
    ...TRANSPORT_MODES[mode],
  });
  await waitFor(healthy, 'connect');
  let sequence = 0;
  const deferred = cleanups();
  return {
    name: 'realtime Server',
    io,
    healthy,
    port,
    webSocketPath: SOCKET_IO_PATHS.websocket,
    async roundTrip() {
      const value = ++sequence;
      assert.equal(await healthy.timeout(5000).emitWithAck('echo', value), value);
    },
    defer: deferred.defer,
    async close() {
      await deferred.run();
      healthy.disconnect();
      await io.close();
    },
  };
}
