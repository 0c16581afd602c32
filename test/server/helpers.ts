import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';
import { Server, type ServerOptions } from '../../src/server/index.js';
import { waitFor } from '../helpers/wait.js';

/** The three ways a client reaches the server: polling only, WebSocket only, polling then upgrade. */
export const TRANSPORT_MODES = {
  polling: { transports: ['polling'] },
  websocket: { transports: ['websocket'] },
  upgrade: { transports: ['polling', 'websocket'], upgrade: true },
} as const satisfies Record<string, Partial<ManagerOptions>>;

/** A name of {@link TRANSPORT_MODES}. */
export type TransportMode = keyof typeof TRANSPORT_MODES;

/** A server listening on an ephemeral loopback port, and clients to close with it. */
export interface Harness {
  io: Server;
  http: HttpServer;
  port: number;
  url: string;
  clients: ClientSocket[];
  /** Connects an official client (reconnection off unless asked), tracked for cleanup. */
  client(nsp?: string, options?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
  /** Closes every client, then the server. */
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1:0; heartbeats roomy enough for a loaded machine (tests of timeouts set their own). */
export async function startServer(options: ServerOptions = {}, mode: TransportMode = 'websocket'): Promise<Harness> {
  const http = createServer();
  const io = new Server(http, { pingInterval: 2000, pingTimeout: 5000, ...options });
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  return {
    io,
    http,
    port,
    url,
    clients,
    client(nsp = '/', clientOptions = {}) {
      const socket = connect(`${url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        timeout: 2000,
        ...TRANSPORT_MODES[mode],
        ...clientOptions,
      });
      clients.push(socket);
      return socket;
    },
    async close() {
      for (const socket of clients) {
        socket.io.opts.reconnection = false;
        socket.disconnect();
        socket.io.engine?.close();
      }
      await io.close();
    },
  };
}
