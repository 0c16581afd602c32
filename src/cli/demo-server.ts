import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createHttpServer, type AllowRequest, type EngineSocket } from '../engine/index.js';
import type { HttpServerOptions } from '../engine/http-server.js';
import { rejectResponse } from '../protocol/index.js';
import { Server as RealtimeServer, type ServerOptions } from '../server/index.js';
import { allOf, WebSocketServer, type AuthenticateHook } from '../ws/index.js';
import { createDemoApps, type DemoApp, type DemoAppsOptions } from './apps/index.js';
import { ChatRoom, type ChatRoomOptions } from './chat/chat-room.js';
import { addressGroup, clientAddress } from './client-address.js';
import { ConnectionsPerAddress } from './connections-per-address.js';
import { allowedHostsCheck, HOST_REFUSAL, sameOriginOr } from './origin-check.js';
import { createStaticHandler, type StaticRoot } from './static-files.js';

/**
 * Options of {@link startDemoServer}; the limits of {@link HttpServerOptions} bound what each HTTP
 * request may cost, and its `tls` (a PEM key and certificate) serves everything over HTTPS and wss://.
 */
export interface DemoServerOptions extends HttpServerOptions {
  /** The TCP port; 0 picks a free one (read it back from `url`). @default 8080 */
  readonly port?: number;
  /** The address to listen on. The default keeps the server private to this machine. @default '127.0.0.1' */
  readonly host?: string;
  /** More directories to serve files from, looked in before the built-in demo pages. @default [] */
  readonly staticDirectories?: readonly string[];
  /** Where the demo pages live. @default the package's `examples/` folder */
  readonly examplesDirectory?: string;
  /**
   * Origins whose pages may open the chat WebSocket and realtime sessions besides the server's own
   * (e.g. `https://app.example.com`); browsers on any other origin get 403. @default []
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Host names the server answers to besides IP addresses and `localhost` (e.g. `chat.example.com`
   * when it is reached by that name). Requests naming any other host get 403, which stops DNS
   * rebinding: a site that points its own name at this machine. @default []
   */
  readonly allowedHosts?: readonly string[];
  /** Options of the chat room behind `/chat`. @default {} */
  readonly chat?: ChatRoomOptions;
  /** Options of the apps on the realtime server, by app name (`{ jukebox: { trackLength: 5000 } }`). @default {} */
  readonly apps?: DemoAppsOptions;
  /**
   * Chat WebSockets (open or in their handshake) and realtime sessions that one client address
   * may hold together; one more chat upgrade gets 429 (Too Many Requests), one more realtime
   * handshake 403 with the same message. Behind a reverse proxy every client has the proxy's
   * address unless `trustProxy` is set.
   * @default 16
   */
  readonly maxConnectionsPerAddress?: number;
  /**
   * Count connections by the address a reverse proxy reports in `X-Forwarded-For` (its last
   * entry) rather than the TCP peer's. Only for a server that clients can reach through that
   * proxy alone: anyone who reaches it directly can write any address there.
   * @default false
   */
  readonly trustProxy?: boolean;
  /** How long shutdown waits for WebSocket close handshakes and HTTP responses in flight (ms). @default 2000 */
  readonly shutdownTimeout?: number;
  /**
   * Makes the realtime server one node of a cluster: the adapter that carries its broadcasts,
   * rooms and sessions to the other nodes, and the session relay that serves long-polling requests
   * a load balancer sent to another node than the session's. The apps' own state (room history,
   * the jukebox's queue, retained sensor values) stays per node.
   * @default {} (a single node)
   */
  readonly cluster?: Pick<ServerOptions, 'adapter' | 'sessionRelay'>;
}

/** A running demo server. */
export interface DemoServer {
  /** The base URL of the pages, e.g. `http://127.0.0.1:8080/` (`https://` with `tls`). */
  readonly url: string;
  /** The address the server is bound to. */
  readonly address: AddressInfo;
  /** The chat room behind `/chat`. */
  readonly chat: ChatRoom;
  /** The realtime server at {@link REALTIME_PATH}, shared by the apps (a namespace or more each). */
  readonly io: RealtimeServer;
  /** The apps on the realtime server, as the index page lists them. */
  readonly apps: readonly DemoApp[];
  /** The HTTP (or HTTPS) server underneath, with the limits of {@link HttpServerOptions} in force as its settings. */
  readonly httpServer: Server;
  /**
   * How many chat WebSockets (open or in their handshake) and realtime sessions `address` holds, as
   * the per-address cap counts them: an IPv6 address counts with every other address of its /64.
   */
  connectionsFrom(address: string): number;
  /**
   * Stops accepting, closes the apps, then the realtime server (its sockets leave with "server
   * shutting down") and every chat WebSocket with 1001 (Going Away), lets HTTP responses in flight
   * finish, and resolves once everything is closed (forcing whatever is left after `shutdownTimeout`).
   */
  close(): Promise<void>;
}

/** Chat WebSockets one client address may hold unless told otherwise. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 16;

/** The WebSocket endpoint of the chat demo. */
export const CHAT_PATH = '/chat';

/** The path of the realtime server (pages load its client from `/socket.io/socket.io.js`). */
export const REALTIME_PATH = '/socket.io';

/** The package's demo pages, next to `src/` and `dist/` alike. */
export const EXAMPLES_DIRECTORY = fileURLToPath(new URL('../../examples/', import.meta.url));

// The demo pages load nothing from elsewhere; the chat shows shared images from blob: URLs.
// CSP Level 3 lets 'self' in connect-src cover ws: and wss: to the same host and port.
const examplesHeaders = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * Starts the demo server: the demo pages (and any extra static directories) over HTTP, the chat
 * room as a WebSocket endpoint at `/chat`, and the realtime server at `/socket.io` with the apps
 * on it, all on the same port (over HTTPS and wss:// with `tls`). Upgrade paths that no app claims
 * get 404.
 *
 * @example
 * const server = await startDemoServer({ port: 0 });
 * console.log(`open ${server.url}chat/`);
 * await server.close();
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const shutdownTimeout = options.shutdownTimeout ?? 2000;
  const perAddress = new ConnectionsPerAddress(options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
  const trustProxy = options.trustProxy ?? false;
  if (typeof trustProxy !== 'boolean') throw new TypeError(`trustProxy must be a boolean, got ${String(trustProxy)}`);
  const roots: StaticRoot[] = [
    ...(options.staticDirectories ?? []).map((directory) => ({ directory })),
    { directory: options.examplesDirectory ?? EXAMPLES_DIRECTORY, headers: examplesHeaders },
  ];
  const serveStatic = createStaticHandler({ roots });
  const hostAllowed = allowedHostsCheck(options.allowedHosts);
  const fromAllowedPage = allOf(
    (request) => hostAllowed(request) || HOST_REFUSAL,
    sameOriginOr(options.allowedOrigins),
  );
  const tooManyConnections = {
    status: 429,
    message: `Too many connections from your address (at most ${perAddress.max})`,
  };
  // Created (and its limits checked) before anything that would need closing if they were wrong.
  const server = createHttpServer(options, (request, response) => {
    if (hostAllowed(request)) {
      void serveStatic(request, response);
      return;
    }
    response
      .writeHead(HOST_REFUSAL.status, { 'Content-Type': 'text/plain', Connection: 'close' })
      .end(`${HOST_REFUSAL.message}\n`);
  });
  // Each message is framed once and the same bytes written to every member (the room only
  // broadcasts once connections arrive, by when `wss` below exists).
  const chat = new ChatRoom({
    fanOut: (data, binary, filter) => wss.broadcast(data, { binary, filter }),
    ...options.chat,
  });
  // A frame bigger than the largest file the room accepts is refused with 1009 before it is buffered.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: chat.maxFrameBytes,
    closeTimeout: shutdownTimeout,
    authenticate: allOf(
      fromAllowedPage,
      // Last, so that a request refused for another reason holds no place. RFC 6585 §4: 429 says
      // this client asked for too much, while the server is fine for others (503 would say the
      // server is unavailable, and a load balancer might act on that).
      (request) =>
        perAddress.admit(addressGroup(clientAddress(request, trustProxy)), request.socket) || tooManyConnections,
    ),
  });
  wss.on('connection', (socket) => chat.accept(socket));

  // The per-address cap counts realtime sessions too, each from its handshake to its close, over
  // however many HTTP requests or one WebSocket. The handshake takes the place (so that handshakes
  // arriving together cannot pass the cap) and the session it opens holds it; a handshake that opens
  // no session gives it back when its request ends. Places wait under the handshake's TCP socket,
  // which the session's `request` shares (it is a copy of the IncomingMessage) and which carries no
  // other request until this one is answered.
  const reservedPlaces = new WeakMap<object, () => void>();
  const reserveSessionPlace = (request: IncomingMessage) => {
    const release = perAddress.reserve(addressGroup(clientAddress(request, trustProxy)));
    if (release === undefined) return tooManyConnections;
    reservedPlaces.set(request.socket, release);
    // An upgrade request never ends as such (Node emits no 'close' for it): a WebSocket handshake
    // that fails (a bad key or version) ends with its socket.
    (request.headers.upgrade === undefined ? request : request.socket).once('close', () => {
      if (reservedPlaces.get(request.socket) !== release) return;
      reservedPlaces.delete(request.socket);
      release();
    });
    return true;
  };

  const upgradeListeners = new Set(server.listeners('upgrade'));
  // Its client is served when built (always in the package; `npm start` builds it first). Recovery
  // gives a page that lost its connection briefly its rooms and the events it missed.
  const io = new RealtimeServer(server, {
    path: REALTIME_PATH,
    connectionStateRecovery: true,
    allowRequest: asAllowRequest(allOf(fromAllowedPage, reserveSessionPlace)),
    ...options.cluster,
  });
  io.engine.on('connection', (session: EngineSocket) => {
    const release = reservedPlaces.get(session.request.socket)!;
    reservedPlaces.delete(session.request.socket);
    session.once('close', release);
  });
  // Attaching added the engine's upgrade listener, which answers its own path and leaves other
  // upgrades to time out; the demo routes every upgrade itself instead (below), so that each gets
  // exactly one answer.
  for (const listener of server.listeners('upgrade')) {
    if (!upgradeListeners.has(listener)) server.off('upgrade', listener as (...args: unknown[]) => void);
  }
  const apps = createDemoApps({ io, shutdownTimeout }, options.apps);
  const appsByPath = new Map(apps.flatMap((app) => (app.upgradePath === undefined ? [] : [[app.upgradePath, app]])));

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = pathOf(request.url);
    if (path === REALTIME_PATH || path.startsWith(`${REALTIME_PATH}/`)) {
      io.engine.handleUpgrade(request, socket, head);
      return;
    }
    if (path === CHAT_PATH) {
      wss.handleUpgrade(request, socket, head, (accepted, acceptedRequest) =>
        wss.emit('connection', accepted, acceptedRequest),
      );
      return;
    }
    const app = appsByPath.get(path);
    if (app?.handleUpgrade !== undefined) app.handleUpgrade(request, socket, head);
    else refuseUpgrade(socket, 404, '404 Not Found\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    // The apps' timers would keep the process alive after a port that was taken.
    await Promise.all(apps.map((app) => app.close()));
    throw error;
  });
  const address = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(apps.map((app) => app.close()));
    // Its sockets leave and its sessions close now; the promise settles with the HTTP server, as `stopped` does.
    const realtimeClosed = io.close();
    await chat.close(shutdownTimeout);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, shutdownTimeout);
    });
    await Promise.race([stopped, forced]);
    clearTimeout(timer);
    await stopped;
    await realtimeClosed;
  }

  return {
    url: baseUrl(address, options.tls !== undefined),
    address,
    chat,
    io,
    apps,
    httpServer: server,
    connectionsFrom: (address) => perAddress.count(addressGroup(address)),
    close: () => (closed ??= close()),
  };
}

/** A handshake check in the form the realtime server's `allowRequest` takes: a refusal's message goes into its 403. */
function asAllowRequest(check: AuthenticateHook): AllowRequest {
  return (request, callback) => {
    Promise.resolve(check(request)).then(
      (verdict) =>
        typeof verdict === 'object'
          ? callback(verdict.message ?? 'Forbidden', false)
          : callback(null, verdict !== false),
      (error: unknown) => callback(error instanceof Error ? error.message : 'Forbidden', false),
    );
  };
}

/** Answers an upgrade request with an HTTP error and closes the socket once it is written. */
function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.on('error', () => undefined);
  // The HTTP server allows half-open sockets: without the destroy, a client that never closes its side would keep this one.
  socket.once('finish', () => socket.destroy());
  socket.end(rejectResponse(status, message));
}

function pathOf(target: string | undefined): string {
  const path = (target ?? '').split(/[?#]/, 1)[0]!;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Whether an address means every interface of the machine. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The URL to print: a wildcard address is shown as `localhost`, an IPv6 literal in brackets; `https:` when `secure`. */
export function baseUrl(address: AddressInfo, secure = false): string {
  const host = isWildcard(address.address)
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `${secure ? 'https' : 'http'}://${host}:${address.port}/`;
}
