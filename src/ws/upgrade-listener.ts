import { Buffer } from 'node:buffer';
import * as http from 'node:http';
import * as net from 'node:net';
import { WebSocketError, findHeadEnd, parseRequestHead, rejectResponse } from '../protocol/index.js';
import { debug } from './debug-log.js';
import { setSocketOwner, type SocketOwner } from './socket-owner.js';

/**
 * The `headers` object of an `IncomingMessage`: lower-case names; a repeated field's values joined
 * with commas (RFC 9110 §5.3), with `; ` for `Cookie`, and `Set-Cookie` as an array.
 */
function headerObject(rawHeaders: readonly string[]): http.IncomingHttpHeaders {
  // Values are gathered per name and joined once: a head may repeat a field tens of thousands of
  // times (with a raised maxHeaderSize), and copying or concatenating on every repeat is quadratic.
  const valuesByName = new Map<string, string[]>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const values = valuesByName.get(name);
    if (values === undefined) valuesByName.set(name, [rawHeaders[i + 1]!]);
    else values.push(rawHeaders[i + 1]!);
  }
  const headers: http.IncomingHttpHeaders = {};
  for (const [name, values] of valuesByName) {
    if (name === 'set-cookie') headers[name] = values;
    else headers[name] = values.length === 1 ? values[0]! : values.join(name === 'cookie' ? '; ' : ', ');
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
  private readonly pending = new Map<net.Socket, PendingRequest>();

  constructor(private readonly options: UpgradeListenerOptions) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.read(socket));
  }

  /** Bytes held for request heads still arriving, over every pending connection. */
  get pendingHeadBytes(): number {
    let bytes = 0;
    for (const request of this.pending.values()) bytes += request.heldBytes;
    return bytes;
  }

  /** Drops every connection that has not finished its handshake, so `server.close()` can complete. */
  dropPending(): void {
    for (const socket of this.pending.keys()) socket.destroy();
    this.pending.clear();
  }

  private read(socket: net.Socket): void {
    const request = new PendingRequest(socket, this.options, () => this.pending.delete(socket));
    this.pending.set(socket, request);
    setSocketOwner(socket, request);
  }
}

const EMPTY = Buffer.alloc(0);

/** A connection whose request head is still arriving: reads it, then answers it or hands it over. */
class PendingRequest implements SocketOwner {
  /**
   * The head so far, once it spans more than one read: copied into one buffer that doubles as it
   * fills (up to `maxHeadSize`), so that a head trickled in byte by byte holds about its own size,
   * not a `Buffer` object per read.
   */
  private buffer = EMPTY;
  /** Bytes of the head in {@link buffer}. */
  private size = 0;
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

  /** Bytes this request holds for its head: at most twice what has arrived, and at most `maxHeadSize`. */
  get heldBytes(): number {
    return this.buffer.length;
  }

  receive(chunk: Buffer): void {
    if (this.done) return;
    const start = this.size;
    // Bytes past maxHeadSize can only belong to a head that is too large, or follow its end.
    const room = this.options.maxHeadSize - start;
    const taken = chunk.length <= room ? chunk : chunk.subarray(0, room);
    // A head that arrives in one read, as nearly all do, is parsed where it lies, with no copy.
    const received = start === 0 ? taken : this.append(taken);
    let head;
    try {
      // Only the new bytes are searched, so the work stays linear in the head's size however it is split.
      const incomplete = findHeadEnd(received, start) < 0 && received.length < this.options.maxHeadSize;
      head = incomplete ? undefined : parseRequestHead(received, this.options.maxHeadSize);
    } catch (error) {
      const failure = error as WebSocketError;
      this.refuse(failure.status, failure.message);
      return;
    }
    if (head === undefined) {
      if (start === 0) this.append(taken);
      return;
    }
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
    // The head ended in this read (earlier ones held no end): what follows it is the WebSocket's.
    this.options.onUpgrade(request, this.socket, chunk.subarray(head.length - start));
  }

  /** Copies `bytes` after the head so far, growing the buffer by doubling; answers the head so far. */
  private append(bytes: Buffer): Buffer {
    const size = this.size + bytes.length;
    if (size > this.buffer.length) {
      // Sized exactly at first, then doubled: never more than twice the bytes received, and at most
      // log2(maxHeadSize) reallocations. Not from the shared pool, so `heldBytes` is what is held.
      const grown = Buffer.allocUnsafeSlow(Math.min(this.options.maxHeadSize, Math.max(size, this.buffer.length * 2)));
      this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.size);
    this.size = size;
    return this.buffer.subarray(0, size);
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
    this.buffer = EMPTY;
    clearTimeout(this.timer);
    this.onDone();
  }

  private refuse(status: number, message?: string): void {
    if (this.done) return;
    if (debug.enabled)
      debug('refused a request from %s with %d: %s', this.socket.remoteAddress, status, message ?? 'no head in time');
    this.finish();
    this.socket.once('finish', () => this.socket.destroy());
    this.socket.end(rejectResponse(status, message));
  }
}
