import { Buffer } from 'node:buffer';
import http from 'node:http';
import net from 'node:net';
import { WebSocketError, parseRequestHead, rejectResponse } from '../protocol/index.js';
import { setSocketOwner, type SocketOwner } from './socket-owner.js';

/**
 * The `headers` object of an `IncomingMessage`: lower-case names; a repeated field's values joined
 * with commas (RFC 9110 §5.3), with `; ` for `Cookie`, and `Set-Cookie` as an array.
 */
function headerObject(rawHeaders: readonly string[]): http.IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    const existing = headers[name];
    if (name === 'set-cookie') headers[name] = existing === undefined ? [value] : [...(existing as string[]), value];
    else if (existing === undefined) headers[name] = value;
    else headers[name] = `${existing as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

/** What an {@link UpgradeListener} does with the requests it reads. */
export interface UpgradeListenerOptions {
  /** Largest request head accepted; larger gets 431. */
  readonly maxHeadSize: number;
  /** Time for a whole request head to arrive; past it: 408. */
  readonly handshakeTimeout: number;
  /** A request that asks for an upgrade, with the bytes that followed its head. */
  onUpgrade(request: http.IncomingMessage, socket: net.Socket, head: Buffer): void;
}

/**
 * The listener of a `WebSocketServer` that has a port of its own. It reads each connection's
 * request head with the protocol core's parser instead of Node's HTTP server, so an accepted
 * connection carries none of the HTTP machinery (parser, timers, per-socket state) that a
 * WebSocket never uses again: less memory per connection and faster handshakes. Requests that do
 * not ask for an upgrade get `426 Upgrade Required`.
 */
export class UpgradeListener {
  readonly server: net.Server;
  /** Connections still sending their request head. */
  private readonly pending = new Set<net.Socket>();

  constructor(private readonly options: UpgradeListenerOptions) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.read(socket));
  }

  /** Drops every connection that has not finished its handshake, so `server.close()` can complete. */
  dropPending(): void {
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
  }

  private read(socket: net.Socket): void {
    this.pending.add(socket);
    setSocketOwner(socket, new PendingRequest(socket, this.options, () => this.pending.delete(socket)));
  }
}

const EMPTY = Buffer.alloc(0);

/** A connection whose request head is still arriving: reads it, then answers it or hands it over. */
class PendingRequest implements SocketOwner {
  /** The chunks of the head so far, joined only once its end (or the size limit) has arrived. */
  private chunks: Buffer[] = [];
  private size = 0;
  /** The last 3 bytes read, so that a blank line split across reads is still found. */
  private tail = EMPTY;
  private readonly timer: NodeJS.Timeout;
  private done = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: UpgradeListenerOptions,
    private readonly onDone: () => void,
  ) {
    this.timer = setTimeout(() => this.refuse(408), options.handshakeTimeout);
    this.timer.unref();
  }

  receive(chunk: Buffer): void {
    if (this.done) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    // The head can only have ended in the bytes just read: look for its blank line there alone and
    // join the chunks once, so that a head trickled in byte by byte costs linear time, not quadratic.
    const window = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    if (window.indexOf('\r\n\r\n') < 0 && this.size < this.options.maxHeadSize) {
      this.tail = Buffer.from(window.subarray(Math.max(0, window.length - 3)));
      return;
    }
    const received = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.size);
    this.chunks = [received];
    let head;
    try {
      head = parseRequestHead(received, this.options.maxHeadSize);
    } catch (error) {
      const failure = error as WebSocketError;
      this.refuse(failure.status, failure.message);
      return;
    }
    if (head === undefined) return;
    const request = new http.IncomingMessage(this.socket);
    request.method = head.method;
    request.url = head.target;
    request.httpVersionMajor = head.versionMajor;
    request.httpVersionMinor = head.versionMinor;
    request.httpVersion = `${head.versionMajor}.${head.versionMinor}`;
    request.rawHeaders = head.rawHeaders;
    request.headers = headerObject(head.rawHeaders);
    request.complete = true;
    if (request.headers.upgrade === undefined) {
      this.refuse(426, 'Upgrade Required');
      return;
    }
    this.finish();
    this.options.onUpgrade(request, this.socket, received.subarray(head.length));
  }

  handleSocketEnd(): void {
    // After a refusal the response is still being written; its 'finish' destroys the socket.
    if (this.done) return;
    this.finish();
    this.socket.destroy();
  }

  handleSocketClose(): void {
    this.finish();
  }

  handleSocketError(): void {
    this.finish();
    this.socket.destroy();
  }

  handleSocketDrain(): void {}

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.chunks = [];
    clearTimeout(this.timer);
    this.onDone();
  }

  private refuse(status: number, message?: string): void {
    if (this.done) return;
    this.finish();
    this.socket.once('finish', () => this.socket.destroy());
    this.socket.end(rejectResponse(status, message));
  }
}
