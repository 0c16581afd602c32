/**
 * Servers for the client's tests: ours and the official `socket.io`, each reached by the client in
 * the three transport modes, so one table-driven test covers the six pairs.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as OfficialServer } from 'socket.io';
import { Server, type ServerOptions } from '../../src/server/index.js';
import { io, type LookupOptions, type Socket } from '../../src/client-node/index.js';
import { waitFor } from '../helpers/wait.js';

/** How the client reaches the server: WebSocket only, polling only, polling then upgrade. */
export const CLIENT_MODES = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'] },
  upgrade: { transports: ['polling', 'websocket'] },
} as const satisfies Record<string, LookupOptions>;

/** A name of {@link CLIENT_MODES}. */
export type ClientMode = keyof typeof CLIENT_MODES;

/** The two servers the client must work with. */
export const SERVER_KINDS = ['switchboard', 'socket.io'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** Every server × client mode pair, for table-driven tests. */
export const PAIRS = SERVER_KINDS.flatMap((kind) =>
  (Object.keys(CLIENT_MODES) as ClientMode[]).map((mode) => ({ kind, mode, name: `${kind} server, ${mode}` })),
);

/**
 * A server listening on a loopback port, and the clients to close with it. `io` is typed as ours:
 * the part of the API the tests use is the same on the official server.
 */
export interface Harness {
  io: Server;
  http: HttpServer;
  port: number;
  url: string;
  /** Connects one of our clients (a connection of its own, reconnection off unless asked), closed with the harness. */
  client(nsp?: string, options?: LookupOptions): Socket;
  /** Closes the server (and its HTTP server), keeping the clients: to test what they do next. */
  stopServer(): Promise<void>;
  /** Starts the same kind of server again on the same port. */
  restartServer(): Promise<void>;
  /** Closes every client, then the server. */
  close(): Promise<void>;
}

function makeServer(kind: ServerKind, http: HttpServer, options: ServerOptions): Server {
  const settings = { pingInterval: 2000, pingTimeout: 5000, ...options };
  if (kind === 'switchboard') return new Server(http, settings);
  return new OfficialServer(http, settings as ConstructorParameters<typeof OfficialServer>[1]) as unknown as Server;
}

async function listen(http: HttpServer, port: number): Promise<number> {
  http.listen(port, '127.0.0.1');
  await waitFor(http, 'listening');
  return (http.address() as AddressInfo).port;
}

/** Starts a server of `kind`; its clients use `mode`. */
export async function startHarness(
  kind: ServerKind,
  mode: ClientMode,
  serverOptions: ServerOptions = {},
  setup: (server: Server) => void = () => {},
): Promise<Harness> {
  let http = createServer();
  let server = makeServer(kind, http, serverOptions);
  setup(server);
  const port = await listen(http, 0);
  const url = `http://127.0.0.1:${port}`;
  const clients: Socket[] = [];
  let running = true;
  const harness: Harness = {
    get io() {
      return server;
    },
    get http() {
      return http;
    },
    port,
    url,
    client(nsp = '/', options = {}) {
      const socket = io(`${url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        timeout: 3000,
        ...CLIENT_MODES[mode],
        ...options,
      });
      clients.push(socket);
      return socket;
    },
    async stopServer() {
      running = false;
      http.closeAllConnections();
      await server.close();
    },
    async restartServer() {
      http = createServer();
      server = makeServer(kind, http, serverOptions);
      setup(server);
      await listen(http, port);
      running = true;
    },
    async close() {
      for (const socket of clients) {
        socket.io.reconnection(false);
        socket.disconnect();
        socket.io._close();
      }
      if (running) {
        http.closeAllConnections();
        await server.close();
      }
    },
  };
  return harness;
}

/** Waits for `socket` to connect; rejects with its connect_error, or after `timeout` ms. */
export function connected(socket: Socket, timeout = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onConnect = (): void => done();
    const onError = (error: Error): void => done(error);
    const timer = setTimeout(() => done(new Error(`no connect within ${timeout} ms`)), timeout);
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}
