import { EventEmitter } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EngineHeaders } from './server.js';

/**
 * The `res` that engine middlewares get on a WebSocket upgrade, where there is no
 * `ServerResponse`: the headers they set go out with the `101 Switching Protocols` answer, and
 * ending it refuses the upgrade by closing the connection, as the reference server does. It is
 * not attached to the socket and is let go of once the handshake is answered.
 *
 * Session middlewares (express-session) set their cookie from `writeHead()`, so the engine calls
 * it once the middlewares are done, before it answers the handshake.
 */
export class UpgradeResponse extends EventEmitter {
  /** The headers set so far, as they will be written. */
  readonly headers: EngineHeaders = {};
  statusCode = 101;
  readonly req: IncomingMessage;
  private readonly socket: Duplex;
  private ended = false;

  constructor(req: IncomingMessage, socket: Duplex) {
    super();
    this.req = req;
    this.socket = socket;
    // Loggers (pino-http) wait for 'close' to know the response is over.
    socket.once('close', () => this.emit('close'));
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

  setHeader(name: string, value: OutgoingHttpHeader): this {
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

  /** Nothing is written before the handshake answer. */
  write(): boolean {
    return true;
  }

  /** Nothing is written before the handshake answer (see the class comment). */
  writeHead(): this {
    return this;
  }

  /** A middleware answered the request itself: the upgrade is refused by closing the connection. */
  end(): this {
    if (this.ended) return this;
    this.ended = true;
    this.emit('finish');
    this.socket.destroy();
    return this;
  }

  /** Header names are case-insensitive (RFC 9110 §5.1). */
  private key(name: string): string | undefined {
    const lower = name.toLowerCase();
    return Object.keys(this.headers).find((key) => key.toLowerCase() === lower);
  }
}
