/**
 * Shared plumbing of the client engine tests: an echo server of either kind (Switchboard's engine
 * or the official `engine.io`) on a loopback HTTP server whose WebSocket upgrades a test can refuse,
 * the session options with the defaults the Manager would pass, and a session's events recorded.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { Server as OfficialEngine } from 'engine.io';
import { EngineServer, type EngineServerOptions } from '../../../src/engine/index.js';
import { EngineSocket } from '../../../src/client/engine/engine-socket.js';
import type { ClientPlatform, EngineCloseReason, EngineSocketOptions } from '../../../src/client/engine/types.js';
import { nodePlatform } from '../../../src/client-node/platform.js';
import { PollingTransport } from '../../../src/client/engine/polling-transport.js';
import { WebSocketTransport } from '../../../src/client/engine/websocket-transport.js';
import { waitFor, withTimeout } from '../../helpers/wait.js';

/** Which server a test runs against. */
export type ServerKind = 'switchboard' | 'engine.io';
export const SERVER_KINDS: readonly ServerKind[] = ['switchboard', 'engine.io'];

/** How the HTTP server treats WebSocket upgrade requests: `hang` never answers them. */
export type UpgradePolicy = 'allow' | 'destroy' | 'refuse' | 'hang';

/** The server options both kinds understand, with the same meaning. */
export interface EchoOptions {
  readonly pingInterval?: number;
  readonly pingTimeout?: number;
  readonly maxHttpBufferSize?: number;
}

/** A running echo server: every message a session receives goes back to it. */
export interface EchoServer {
  readonly origin: string;
  readonly path: string;
  /** What the next upgrade requests meet; `allow` hands them to the engine. */
  upgrades: UpgradePolicy;
  /** Upgrade requests that reached the HTTP server, allowed or not. */
  upgradeRequests: number;
  /** Polling requests (GET and POST) that reached the HTTP server. */
  pollingRequests: number;
  /** Bodies of the polling POSTs, in bytes (as their `Content-Length` says). */
  readonly postSizes: number[];
  /** Closes every session the server opened, from the server's side. */
  closeSessions(): void;
  /** Messages the sessions received. */
  readonly received: (string | Buffer)[];
  close(): Promise<void>;
}

interface EchoSession {
  close(): void;
  on(event: 'message', listener: (data: string | Buffer | undefined) => void): unknown;
  send(data: string | Buffer): void;
}

/** Starts an echo server of `kind` on 127.0.0.1 (an ephemeral port). */
export async function startEchoServer(kind: ServerKind, options: EchoOptions = {}): Promise<EchoServer> {
  const http = createServer();
  const postSizes: number[] = [];
  let close: () => void;
  let onConnection: (listener: (session: EchoSession) => void) => void;
  if (kind === 'switchboard') {
    const engine = new EngineServer(options satisfies EngineServerOptions);
    engine.attach(http);
    onConnection = (listener) => engine.on('connection', listener);
    close = () => engine.close();
  } else {
    const engine = new OfficialEngine(options);
    engine.attach(http);
    onConnection = (listener) => engine.on('connection', listener);
    close = () => engine.close();
  }
  const received: (string | Buffer)[] = [];
  const sessions: EchoSession[] = [];
  onConnection((session) => {
    sessions.push(session);
    session.on('message', (data: string | Buffer | undefined) => {
      // The official server hands an empty message (`4`) over as undefined.
      received.push(data ?? '');
      session.send(data ?? '');
    });
  });
  let server: EchoServer | undefined;
  // Ahead of the engine's own listener (attaching replaced any listener added before).
  http.prependListener('request', (req: IncomingMessage) => {
    if (server !== undefined) server.pollingRequests++;
    // Read from the header: reading the body here would take it from the engine.
    if (req.method === 'POST') postSizes.push(Number(req.headers['content-length']));
  });
  // The engine's own upgrade listener runs only when the policy lets the request through.
  const engineUpgrade = http.listeners('upgrade') as ((
    req: IncomingMessage,
    socket: NetSocket,
    head: Buffer,
  ) => void)[];
  http.removeAllListeners('upgrade');
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  const held: NetSocket[] = [];
  server = {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    path: '/engine.io/',
    upgrades: 'allow',
    upgradeRequests: 0,
    pollingRequests: 0,
    postSizes,
    received,
    closeSessions: () => sessions.splice(0).forEach((session) => session.close()),
    close: async () => {
      close();
      for (const socket of held) socket.destroy();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  http.on('upgrade', (req: IncomingMessage, socket: NetSocket, head: Buffer) => {
    const policy = server!.upgrades;
    server!.upgradeRequests++;
    // Node hands an upgrade's socket over with no error listener: a client resetting the connection
    // after the refusal (or while held) must not throw out of the server.
    if (policy !== 'allow') socket.on('error', () => {});
    if (policy === 'destroy') socket.destroy();
    else if (policy === 'hang') held.push(socket);
    else if (policy === 'refuse')
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else for (const listener of engineUpgrade) listener(req, socket, head);
  });
  return server;
}

/** Session options as the Manager would pass them by default, for a server at `origin`. */
export function sessionOptions(origin: string, overrides: Partial<EngineSocketOptions> = {}): EngineSocketOptions {
  return {
    origin,
    path: '/engine.io/',
    query: {},
    transports: ['websocket', 'polling'],
    upgrade: true,
    rememberUpgrade: false,
    tryAllTransports: false,
    withCredentials: false,
    extraHeaders: {},
    timeout: 5000,
    closeOnBeforeunload: false,
    timestampRequests: true,
    timestampParam: 't',
    ...overrides,
  };
}

/** A session with what it emitted recorded. */
export interface RecordedSession {
  readonly session: EngineSocket;
  readonly messages: (string | Uint8Array | ArrayBuffer)[];
  readonly errors: Error[];
  readonly upgrades: string[];
  readonly closes: [reason: EngineCloseReason, description: unknown][];
  /** Resolves with the close's reason and description (bounded). */
  closed(timeout?: number): Promise<[reason: EngineCloseReason, description: unknown]>;
}

/** The transports of the full entry points. */
export const TRANSPORTS = { websocket: WebSocketTransport, polling: PollingTransport };

/** Creates a session on the Node platform and records its events. */
export function record(options: EngineSocketOptions, platform: ClientPlatform = nodePlatform): RecordedSession {
  const session = new EngineSocket(options, platform, TRANSPORTS);
  const recorded: RecordedSession = {
    session,
    messages: [],
    errors: [],
    upgrades: [],
    closes: [],
    closed: (timeout = 5000) =>
      recorded.closes.length > 0
        ? Promise.resolve(recorded.closes[0]!)
        : withTimeout(
            waitFor<[EngineCloseReason, unknown]>(session, 'close', timeout),
            "the session's close",
            timeout + 100,
          ),
  };
  session.on('message', (data) => recorded.messages.push(data));
  session.on('error', (error) => recorded.errors.push(error));
  session.on('upgrade', (transport) => recorded.upgrades.push(transport.name));
  session.on('close', (reason, description) => recorded.closes.push([reason, description]));
  return recorded;
}

/** Creates a session (on the Node platform unless given another) and waits for its `open`. */
export async function openSession(
  options: EngineSocketOptions,
  platform: ClientPlatform = nodePlatform,
): Promise<RecordedSession> {
  const recorded = record(options, platform);
  try {
    await waitFor(recorded.session, 'open');
  } catch (error) {
    recorded.session.close();
    throw new Error(`no open: errors ${recorded.errors.map(String).join('; ')}`, { cause: error });
  }
  return recorded;
}
