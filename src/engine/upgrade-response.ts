import { EventEmitter } from 'node:events';
import {
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { EngineHeaders } from './server.js';

/**
 * The `res` that engine middlewares get on a WebSocket upgrade, where there is no
 * `ServerResponse`: the headers they set go out with the `101 Switching Protocols` answer, and
 * ending it refuses the upgrade by closing the connection, as the reference server does. The
 * engine calls {@link UpgradeResponse.settle} once the handshake is answered: the response is then
 * over (`'finish'`, `'close'`), its listener on the socket is removed, and it is let go of, so a
 * connection does not keep it for its whole life.
 *
 * Session middlewares (express-session) set their cookie from `writeHead()`, so the engine calls
 * it once the middlewares are done, before it answers the handshake.
 *
 * A middleware that refuses with a status (`res.writeHead(401); res.end()`, as the passport recipe
 * does, or `res.statusCode = 403; res.end('why')`) gets that status, its headers and body written
 * on the socket, where the reference server only drops the connection: the client can tell an
 * authentication failure from a network one.
 */
export class UpgradeResponse extends EventEmitter {
  /** The headers set so far, as they will be written. */
  readonly headers: EngineHeaders = {};
  statusCode = 101;
  readonly req: IncomingMessage;
  private readonly socket: Duplex;
  private ended = false;
  /** The body written before `end()`, for a refusal. */
  private body: Buffer[] | undefined;
  /** Loggers (pino-http) wait for 'close' to know the response is over; a refused upgrade's is the socket's. */
  private readonly onSocketClose = (): void => {
    this.emit('close');
  };

  constructor(req: IncomingMessage, socket: Duplex) {
    super();
    this.req = req;
    this.socket = socket;
    socket.once('close', this.onSocketClose);
  }

  /**
   * The handshake was answered (`101`): the response is over. A later `end()` (a middleware that
   * went on with `next()` and ended the response afterwards) must not close the WebSocket, so it
   * does nothing.
   */
  settle(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.off('close', this.onSocketClose);
    this.emit('finish');
    this.emit('close');
  }

  /** This stand-in as the `ServerResponse` middlewares are typed to take. */
  asServerResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }

  get headersSent(): boolean {
    return false;
  }

  get writableEnded(): boolean {
    return this.ended;
  }

  /** Sets a header; a name or value Node would refuse (a CR or LF in it, say) throws as there. */
  setHeader(name: string, value: OutgoingHttpHeader): this {
    validateHeaderName(name);
    for (const one of Array.isArray(value) ? value : [value]) validateHeaderValue(name, String(one));
    this.headers[this.key(name) ?? name] = typeof value === 'number' ? String(value) : value;
    return this;
  }

  getHeader(name: string): string | string[] | undefined {
    return this.headers[this.key(name) ?? name];
  }

  getHeaders(): EngineHeaders {
    return { ...this.headers };
  }

  hasHeader(name: string): boolean {
    return this.key(name) !== undefined;
  }

  removeHeader(name: string): void {
    const key = this.key(name);
    if (key !== undefined) delete this.headers[key];
  }

  /** Keeps a chunk of a refusal's body; nothing is written before the handshake is answered. */
  write(chunk?: string | Uint8Array): boolean {
    if (chunk !== undefined && chunk.length > 0) (this.body ??= []).push(Buffer.from(chunk));
    return true;
  }

  /**
   * Records a status and headers; nothing is written before the handshake answer (see the class
   * comment). The engine calls it with no argument once the middlewares let the upgrade through.
   */
  writeHead(statusCode?: number, headers?: OutgoingHttpHeaders): this {
    if (statusCode !== undefined) this.statusCode = statusCode;
    for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) this.setHeader(name, value);
    return this;
  }

  /**
   * A middleware answered the request itself: the upgrade is refused. With an error status (4xx,
   * 5xx) that answer is written before the connection closes; otherwise the connection just closes.
   */
  end(chunk?: string | Uint8Array | (() => void)): this {
    if (this.ended) return this;
    this.ended = true;
    if (typeof chunk !== 'function') this.write(chunk);
    // Node's own range check (`ERR_HTTP_INVALID_STATUS_CODE`): anything else is no status to write.
    const status = this.statusCode;
    if (Number.isInteger(status) && status >= 400 && status <= 999 && this.socket.writable) {
      this.socket.end(this.refusal(), () => this.socket.destroy());
    } else {
      this.socket.destroy();
    }
    this.emit('finish');
    return this;
  }

  /** The HTTP answer of a refusal: status line, the headers set, the body. */
  private refusal(): Buffer {
    const body = Buffer.concat(this.body ?? []);
    const lines = [`HTTP/1.1 ${this.statusCode} ${STATUS_CODES[this.statusCode] ?? ''}`, 'Connection: close'];
    for (const [name, value] of Object.entries(this.headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || lower === 'connection' || lower === 'content-length' || lower === 'transfer-encoding')
        continue;
      for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
    }
    lines.push(`Content-Length: ${body.length}`);
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
  }

  /** Header names are case-insensitive (RFC 9110 §5.1). */
  private key(name: string): string | undefined {
    const lower = name.toLowerCase();
    return Object.keys(this.headers).find((key) => key.toLowerCase() === lower);
  }
}
