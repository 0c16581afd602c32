import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { DEFAULT_MAX_HEAD_SIZE, checkInteger } from '../protocol/index.js';
import { checkDelay } from './check-delay.js';

/**
 * Limits of an HTTP server created by {@link createHttpServer}: how long a client may take to send
 * a request and how large its head may be. Node's own defaults give a request head 60 s, checked
 * every 30 s (so up to 90 s), and a whole request 5 min: a client that sends its head a byte at a
 * time holds its connection that long. These are close to a `WebSocketServer`'s `handshakeTimeout`.
 */
export interface HttpServerLimits {
  /**
   * Milliseconds from a connection's first byte (or the end of its previous request) to the end of
   * the request head, upgrade requests included; past it Node answers 408 and closes the connection.
   * @default 10000
   */
  headersTimeout?: number;
  /**
   * Milliseconds to receive a whole request, head and body; past it: 408. At least
   * `headersTimeout`. The response is not timed, so a long-polling request the server holds is not cut.
   * @default 30000
   */
  requestTimeout?: number;
  /** Milliseconds a keep-alive connection may stay idle between requests before it is closed. @default 5000 */
  keepAliveTimeout?: number;
  /** Largest request head, in bytes (request line and headers); larger gets 431. @default 16384 */
  maxHeaderSize?: number;
}

/** Options of {@link createHttpServer}: its {@link HttpServerLimits}, and the TLS material that makes it HTTPS. */
export interface HttpServerOptions extends HttpServerLimits {
  /**
   * A private key and its certificate (chain), PEM, as `tls.createSecureContext` takes them: the
   * server then speaks HTTPS (and its WebSockets wss://) with the same limits, and a TLS handshake
   * must end within `headersTimeout` too. A key that does not match the certificate is a `TypeError`.
   * @default undefined (plain HTTP)
   */
  tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

/** Default values of {@link HttpServerLimits}. */
export const HTTP_SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  maxHeaderSize: DEFAULT_MAX_HEAD_SIZE,
} as const satisfies Required<HttpServerLimits>;

/**
 * Creates a `node:http` server with {@link HTTP_SERVER_LIMITS}, or the limits given (a bad value
 * is a `TypeError` naming it): the server the realtime `Server` creates when given a port. To
 * choose other limits, create one and pass it to `new Server(httpServer)`. On a server created any
 * other way, Node's defaults time the request head, not `handshakeTimeout` (see `docs/errors.md`).
 * With `tls`, it is a `node:https` server under the same limits.
 *
 * @example
 * const httpServer = createHttpServer({ headersTimeout: 5000 });
 * const io = new Server(httpServer);
 * httpServer.listen(3000);
 * @example
 * const httpsServer = createHttpServer({ tls: { key: readFileSync('key.pem'), cert: readFileSync('cert.pem') } });
 */
export function createHttpServer(options: HttpServerOptions = {}, listener?: RequestListener): HttpServer {
  const headersTimeout = checkDelay('headersTimeout', options.headersTimeout ?? HTTP_SERVER_LIMITS.headersTimeout);
  const requestTimeout = checkDelay('requestTimeout', options.requestTimeout ?? HTTP_SERVER_LIMITS.requestTimeout);
  if (headersTimeout > requestTimeout) {
    throw new TypeError(`headersTimeout (${headersTimeout}) must not exceed requestTimeout (${requestTimeout})`);
  }
  const keepAliveTimeout = checkDelay(
    'keepAliveTimeout',
    options.keepAliveTimeout ?? HTTP_SERVER_LIMITS.keepAliveTimeout,
  );
  const maxHeaderSize = checkInteger('maxHeaderSize', options.maxHeaderSize ?? HTTP_SERVER_LIMITS.maxHeaderSize, 1);
  const settings = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout,
    maxHeaderSize,
    // Node looks for expired requests on a timer (every 30 s by default), not at each deadline:
    // look often enough that a deadline is kept to within a quarter of itself, or a second.
    connectionsCheckingInterval: Math.max(1, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  if (options.tls === undefined) return createServer(settings, listener);
  const { key, cert } = options.tls;
  for (const [name, value] of [
    ['tls.key', key],
    ['tls.cert', cert],
  ] as const) {
    if (!(typeof value === 'string' || Buffer.isBuffer(value)) || value.length === 0)
      throw new TypeError(`${name} must be a non-empty PEM string or Buffer`);
  }
  try {
    // The request head is timed once the TLS handshake is done; Node's own bound on the handshake
    // is 120 s, so a client that never finishes it would hold its connection far longer than one
    // that sends its head slowly.
    return createHttpsServer({ ...settings, key, cert, handshakeTimeout: headersTimeout }, listener);
  } catch (error) {
    throw new TypeError(`tls: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
