import { IncomingMessage, type IncomingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';

/** The own properties every `IncomingMessage` has; anything else was added by the application. */
const STANDARD_PROPERTIES: ReadonlySet<string> = new Set([
  ...Object.keys(new IncomingMessage(new Socket())),
  // Set by the HTTP parser or by Node's server as the request is read.
  'headers',
  'trailers',
  'httpVersion',
  'httpVersionMajor',
  'httpVersionMinor',
  'method',
  'url',
  'upgrade',
  // Set by the engine for its middlewares (the parsed query, see `EngineServer.use`): with only the
  // `cors` option's middleware, a session must not keep it.
  '_query',
]);

/**
 * What a session keeps of the HTTP request that opened it when the engine has no middlewares:
 * method, URL, headers, HTTP version and the connection's socket, plus any property the
 * application set on the request before the session opened (in `allowRequest`, `generateId` or a
 * `headers` listener, such as a user found from a cookie). The `IncomingMessage` itself, with its
 * stream state and raw header list, is let go of: it would cost every connection about a kilobyte
 * for parts nobody reads afterwards (the reason `ws` stopped keeping it too). Its prototype chain
 * goes through `IncomingMessage.prototype`, so `request instanceof IncomingMessage` holds, at no
 * cost per session; stream methods and the raw header lists are not there to use.
 *
 * Once the engine has middlewares (`engine.use()`), sessions keep the `IncomingMessage` itself
 * instead: the middlewares attached state to it that the application reads later (a session, a
 * user), often through methods that hold on to the request.
 *
 * @example
 * engine.on('connection', (socket) => {
 *   console.log(socket.request.method, socket.request.url, socket.request.headers['user-agent']);
 * });
 */
export class HandshakeRequest {
  /** The request method: `GET` for a WebSocket or the first poll. */
  readonly method: string;
  /** The request target, query string included. */
  readonly url: string;
  /** The request headers, names in lower case. */
  readonly headers: IncomingHttpHeaders;
  /** `1.1` (or `1.0`). */
  readonly httpVersion: string;
  /** The connection the request came on (for a polling session, the first poll's). */
  readonly socket: Socket;
  /** Properties the application added to the request. */
  [property: string]: unknown;

  constructor(request: IncomingMessage) {
    this.method = request.method ?? 'GET';
    this.url = request.url ?? '/';
    this.headers = request.headers;
    // Node builds this string for every request; the usual value is shared instead.
    this.httpVersion = request.httpVersion === '1.1' ? '1.1' : request.httpVersion;
    this.socket = request.socket;
    for (const key of Object.keys(request)) {
      if (!STANDARD_PROPERTIES.has(key)) this[key] = (request as unknown as Record<string, unknown>)[key];
    }
  }

  /** Same as {@link HandshakeRequest.socket}, by its older name. */
  get connection(): Socket {
    return this.socket;
  }
}

// Own fields (define semantics) shadow the prototype's accessors (`headers`, `connection`).
Object.setPrototypeOf(HandshakeRequest.prototype, IncomingMessage.prototype);
