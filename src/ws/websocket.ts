import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, Opcode, ReadyState, WebSocketError } from '../protocol/index.js';
import {
  NOT_CONNECTED,
  READY_STATE_NAMES,
  checkMask,
  checkSendOptions,
  clientArguments,
  closeArguments,
  notOpenError,
  type SendOptions,
} from './call-forms.js';
import { connectClient, type WebSocketOptions } from './client-handshake.js';
import { debug } from './debug-log.js';
import type { DeflateAgreement } from './deflate-session.js';
import {
  addBrowserListener,
  handlerProperty,
  removeBrowserListener,
  setHandlerProperty,
  type EventHandlers,
} from './browser-listeners.js';
import {
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  WebSocketEvent,
  type EventListenerLike,
  type WebSocketEventType,
} from './events.js';
import { Heartbeat } from './heartbeat.js';
import { OpenConnection, emitError } from './open-connection.js';
import type { ResolvedConnectionSettings } from './options.js';
import { isBinaryType, payloadSize, toPayload, type BinaryType, type ControlData, type SendData } from './send-data.js';

export type { SendOptions } from './call-forms.js';
export type { WebSocketOptions } from './client-handshake.js';
/**
 * What a `'message'` listener may receive, `ws`'s name for it: a `Buffer` for text and, by default,
 * for binary; an `ArrayBuffer`, a `Blob` or a `Buffer[]` for binary under the other `binaryType`s.
 * The `'message'` event is declared with `Buffer`, the default; a listener of a socket whose
 * `binaryType` was changed declares its parameter as `RawData` (or the one type it gets).
 */
export type RawData = Buffer | ArrayBuffer | Buffer[] | Blob;

/** The Node-style events of a `WebSocket` and their arguments. */
export interface WebSocketEvents {
  open: [];
  /** `data` is a `Buffer`, or for binary messages what `binaryType` names (see {@link RawData}). */
  message: [data: Buffer, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  close: [code: number, reason: Buffer];
  error: [error: Error];
  /** Client side: the server's 101 answer, before it is checked (as in `ws`). */
  upgrade: [response: IncomingMessage];
  /** Client side, with `followRedirects`: the handshake follows a redirect to `url` with `request`. */
  redirect: [url: string, request: ClientRequest];
  /**
   * Client side: the server answered the upgrade with another status than 101. With a listener the
   * connection does not fail by itself: read `response` (status, headers, body), then call `close()`
   * or `terminate()`; without one it fails with `Unexpected server response: <status>`.
   */
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
  drain: [];
}

/** The browser-style event each `addEventListener` type receives. */
export interface WebSocketEventMap {
  open: WebSocketEvent;
  message: MessageEvent;
  error: ErrorEvent;
  close: CloseEvent;
}

/** Called once a send has been written to the socket, or with the error that kept it from being written. */
export type SendCallback = (error?: Error | null) => void;

/** How an accepted connection starts; used by `WebSocketServer` and the client handshake. */
export interface SocketSetup {
  readonly role: 'client' | 'server';
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly protocol: string;
  readonly extensions: string;
  readonly settings: ResolvedConnectionSettings;
  /** The permessage-deflate agreement, when the handshake settled one. */
  readonly deflate?: DeflateAgreement | undefined;
  /** Told when the connection closes, before its `'close'` event (a server's set of clients). */
  readonly registry?: { release(socket: WebSocket): void } | undefined;
}

const EMPTY = Buffer.alloc(0);

// Not `implements HeartbeatTarget`: `checkAlive` is internal, so `stripInternal` leaves it out of
// the published declarations, where the clause would then fail to type-check. Passing `this` to
// `Heartbeat` checks the shape.
/**
 * A WebSocket connection, client or server side: the browser's `WebSocket` interface
 * (`onopen`/`onmessage`/`onerror`/`onclose`, `addEventListener`, `send`, `close`, `readyState`,
 * `binaryType`, `bufferedAmount`) plus the Node-style events and extras `ws` users know
 * (`'message'` with `(data, isBinary)`, `ping`, `pong`, `terminate`, send callbacks).
 *
 * @example
 * const socket = new WebSocket('ws://localhost:8080/chat');
 * socket.onopen = () => socket.send('hello');
 * socket.onmessage = (event) => console.log(event.data);
 *
 * @example
 * // Node style, as with `ws`:
 * socket.on('message', (data, isBinary) => console.log(isBinary ? data : data.toString()));
 */
export class WebSocket extends EventEmitter<WebSocketEvents> {
  // Defined below the class, on the class and its prototype, as the WHATWG interface has them.
  declare static readonly CONNECTING: typeof ReadyState.CONNECTING;
  declare static readonly OPEN: typeof ReadyState.OPEN;
  declare static readonly CLOSING: typeof ReadyState.CLOSING;
  declare static readonly CLOSED: typeof ReadyState.CLOSED;
  declare readonly CONNECTING: typeof ReadyState.CONNECTING;
  declare readonly OPEN: typeof ReadyState.OPEN;
  declare readonly CLOSING: typeof ReadyState.CLOSING;
  declare readonly CLOSED: typeof ReadyState.CLOSED;

  private address: string;
  /** The ready state until the connection exists: CONNECTING, or CLOSING then CLOSED when the handshake fails. */
  private handshakeState: ReadyState = ReadyState.CONNECTING;
  private binary: BinaryType = 'nodebuffer';
  /**
   * Bytes of sends, pings and pongs refused once closing: WHATWG has `bufferedAmount` grow by them
   * (an application polling it sees its data did not go), and ws does the same.
   */
  private refusedBytes = 0;
  private chosenProtocol = '';
  private chosenExtensions = '';
  private ownHeartbeat: Heartbeat | undefined;
  private abortHandshake: ((error: Error) => void) | undefined;
  /** Everything that exists once the handshake has completed: the socket, the protocol core, the writes. */
  private open: OpenConnection | undefined;
  /** @internal The `on<event>` handlers, once one has been set (see browser-listeners.ts). */
  eventHandlers: EventHandlers | undefined;

  /**
   * Opens a client connection to `url` (`ws:`, `wss:`, `http:` or `https:`), offering `protocols`.
   * Throws a `SyntaxError` for an invalid URL or subprotocol list, as browsers do.
   */
  constructor(url: string | URL, protocols?: string | string[] | WebSocketOptions, options?: WebSocketOptions);
  /** @internal Server side: `WebSocketServer` creates connections with {@link WebSocket.accept}. */
  constructor(url: null);
  constructor(url: string | URL | null, protocols?: string | string[] | WebSocketOptions, options?: WebSocketOptions) {
    super();
    if (url === null) {
      this.address = '';
      return;
    }
    const given = clientArguments(protocols, options);
    const attempt = connectClient(this, url, given.protocols, given.options, {
      open: (setup) => this.start(setup),
      fail: (error) => this.failHandshake(error),
      redirected: (address) => (this.address = address),
    });
    this.address = attempt.url;
    this.abortHandshake = attempt.abort;
    const heartbeatInterval = given.options.heartbeatInterval ?? 0;
    if (heartbeatInterval > 0) this.ownHeartbeat = new Heartbeat(heartbeatInterval);
  }

  /**
   * @internal Wraps a socket whose server-side handshake has just completed, in an instance of
   * `Class` (a subclass given as the server's `WebSocket` option).
   */
  static accept<T extends WebSocket>(setup: SocketSetup, Class: new (url: null) => T): T {
    const socket = new Class(null);
    socket.start(setup);
    return socket;
  }

  /** The URL this client connected to (the last one, after redirects); `''` on the server side. */
  get url(): string {
    return this.address;
  }

  /** The connection state: `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
  get readyState(): ReadyState {
    return this.open?.connection.readyState ?? this.handshakeState;
  }

  /** The subprotocol the server chose, `''` if none. */
  get protocol(): string {
    return this.chosenProtocol;
  }

  /** The extensions in use, as the server's `Sec-WebSocket-Extensions` header named them. */
  get extensions(): string {
    return this.chosenExtensions;
  }

  /**
   * The form binary messages take, for Node-style `'message'` listeners and browser-style ones
   * (`event.data`) alike, as in `ws`: `'nodebuffer'` (default, a `Buffer`), `'arraybuffer'`,
   * `'blob'`, or `'fragments'` (an array holding the message as one `Buffer`). Text messages are
   * a `Buffer` for Node-style listeners and a string for browser-style ones, whatever it says.
   * An unknown value throws a `TypeError` (browsers and `ws` ignore it, which hides the mistake).
   */
  get binaryType(): BinaryType {
    return this.binary;
  }

  set binaryType(value: BinaryType) {
    if (!isBinaryType(value)) {
      throw new TypeError(
        `binaryType must be 'nodebuffer', 'arraybuffer', 'blob' or 'fragments', not ${JSON.stringify(value)}`,
      );
    }
    this.binary = value;
  }

  /**
   * Bytes accepted by `send` (or a pong waiting to be sent) and not yet handed to the operating
   * system, plus, as WHATWG has it, those of every send refused once closing.
   */
  get bufferedAmount(): number {
    return (this.open?.bufferedAmount ?? 0) + this.refusedBytes;
  }

  /**
   * @internal Whether sends are backing up: the socket's buffer passed its high-water mark and has
   * not drained yet, or more than that much waits behind a Blob or for compression. The frames of
   * the current tick's batch do not count (they leave at the end of the tick), nor does a message
   * being compressed right now.
   */
  get congested(): boolean {
    return this.open?.congested ?? false;
  }

  /** Whether the application paused reading with {@link pause} (and has not resumed it). */
  get isPaused(): boolean {
    return this.open?.isPaused ?? false;
  }

  /**
   * Sends a message: a string (or a number, as its decimal text) as text, anything else
   * (`Buffer`, `ArrayBuffer`, a typed array, a `Blob`) as binary, unless `options.binary` says
   * otherwise; no data sends an empty binary message, as `ws` does. `callback` runs once the frame
   * is written, or with the error that prevented it. Throws while connecting, as `ws` does
   * (`WebSocket is not open: readyState 0 (CONNECTING)`).
   */
  send(data?: SendData | number, options?: SendOptions | SendCallback, callback?: SendCallback): void {
    const state = this.readyState;
    if (state === ReadyState.CONNECTING) throw new Error(NOT_CONNECTED);
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    if (options !== undefined) checkSendOptions(options, this.isClient);
    if (data === undefined || data === null) data = EMPTY;
    else if (typeof data === 'number') data = String(data);
    const open = this.open;
    if (open === undefined || state !== ReadyState.OPEN) {
      this.refusedBytes += payloadSize(data);
      if (callback) process.nextTick(callback, notOpenError(state));
      return;
    }
    open.send(data, options, callback);
  }

  /**
   * Sends a ping (RFC 6455 §5.5.2) with up to 125 bytes of application data; the peer answers with a
   * pong, reported as a `'pong'` event. As in `ws`, a function in first or second place is the
   * callback, a number is sent as its decimal text, a `Blob` is read first (the ping keeps its place
   * among the sends, as every frame does behind a Blob being read), and `mask` may only be what
   * RFC 6455 §5.1 fixes for the role (see {@link SendOptions.mask}).
   */
  ping(data?: ControlData | SendCallback, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.sendControl(Opcode.Ping, data, mask, callback);
  }

  /** Sends an unsolicited pong (RFC 6455 §5.5.3), e.g. as a one-way heartbeat; arguments as {@link ping}. */
  pong(data?: ControlData | SendCallback, mask?: boolean | SendCallback, callback?: SendCallback): void {
    this.sendControl(Opcode.Pong, data, mask, callback);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2), after the Blobs still being read for earlier
   * sends, pings and pongs have gone. As in `ws`, `code` must be one that may appear on the wire (1000–1003,
   * 1007–1014, 3000–4999), else a `TypeError` is thrown, and `reason` (a string or UTF-8 bytes)
   * must fit in 123 bytes, else a `RangeError`. Without a code the close frame carries none.
   */
  close(code?: number, reason?: string | Uint8Array): void {
    const text = closeArguments(code, reason);
    if (this.readyState === ReadyState.CLOSING || this.readyState === ReadyState.CLOSED) return;
    // Neither CLOSING nor CLOSED, and not open yet: CONNECTING.
    if (this.open === undefined) {
      this.abortHandshake?.(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.open.close(code, text);
  }

  /** Destroys the connection at once, without a closing handshake (the close code reported is 1006). */
  terminate(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    // No socket: still connecting, or failing to (CLOSING while its 'error' is emitted).
    if (this.open === undefined) {
      // The wording is ws's: it says "closed" for both.
      this.abortHandshake?.(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.open.terminate();
  }

  /** Stops reading from the socket, so a fast sender is slowed down by TCP flow control; does nothing while connecting or once closed, as in `ws`. */
  pause(): void {
    if (this.open === undefined || this.readyState === ReadyState.CLOSED) return;
    this.open.pause();
  }

  /** Resumes reading after {@link pause}; does nothing while connecting or once closed. */
  resume(): void {
    if (this.open === undefined || this.readyState === ReadyState.CLOSED) return;
    this.open.resume();
  }

  /** Adds a browser-style listener: it receives an event object (`MessageEvent`, `CloseEvent`, ...). */
  addEventListener<K extends WebSocketEventType>(
    type: K,
    listener: EventListenerLike<WebSocketEventMap[K]>,
    options?: { once?: boolean },
  ): void {
    addBrowserListener(this, type, listener as EventListenerLike<WebSocketEvent>, options?.once);
  }

  /** Removes a listener added with {@link addEventListener}. */
  removeEventListener<K extends WebSocketEventType>(type: K, listener: EventListenerLike<WebSocketEventMap[K]>): void {
    removeBrowserListener(this, type, listener as EventListenerLike<WebSocketEvent>);
  }

  get onopen(): ((event: WebSocketEvent) => void) | null {
    return handlerProperty(this, 'open');
  }
  set onopen(handler: ((event: WebSocketEvent) => void) | null) {
    setHandlerProperty(this, 'open', handler);
  }
  get onmessage(): ((event: MessageEvent) => void) | null {
    return handlerProperty(this, 'message');
  }
  set onmessage(handler: ((event: MessageEvent) => void) | null) {
    setHandlerProperty(this, 'message', handler);
  }
  get onerror(): ((event: ErrorEvent) => void) | null {
    return handlerProperty(this, 'error');
  }
  set onerror(handler: ((event: ErrorEvent) => void) | null) {
    setHandlerProperty(this, 'error', handler);
  }
  get onclose(): ((event: CloseEvent) => void) | null {
    return handlerProperty(this, 'close');
  }
  set onclose(handler: ((event: CloseEvent) => void) | null) {
    setHandlerProperty(this, 'close', handler);
  }

  /** @internal Whether the closing handshake completed, for `CloseEvent.wasClean` (RFC 6455 §7.1.4). */
  get closedCleanly(): boolean {
    return this.open?.connection.closedCleanly ?? false;
  }

  /** @internal Heartbeat check: terminate if silent since the last check, else ping. */
  checkAlive(): boolean {
    const open = this.open;
    if (open?.readyState !== ReadyState.OPEN) return this.readyState !== ReadyState.CLOSED;
    if (!open.alive) {
      this.terminate();
      return false;
    }
    open.alive = false;
    this.sendControl(Opcode.Ping, undefined, undefined, undefined);
    return true;
  }

  /** @internal Writes already encoded frames (a broadcast encodes once for many sockets). */
  sendFrame(frame: Buffer, callback?: SendCallback): boolean {
    return this.open?.sendFrame(frame, callback) ?? false;
  }

  private start(setup: SocketSetup): void {
    this.chosenProtocol = setup.protocol;
    this.chosenExtensions = setup.extensions;
    this.abortHandshake = undefined;
    this.open = new OpenConnection(this, setup, this.ownHeartbeat);
    this.ownHeartbeat?.add(this);
    if (setup.role === 'client') {
      if (debug.enabled)
        debug(
          'client connected to %s (subprotocol %s, extensions %s)',
          this.address,
          setup.protocol || 'none',
          setup.extensions || 'none',
        );
      this.emit('open');
    }
  }

  private failHandshake(error: Error): void {
    if (debug.enabled) {
      const detail = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      debug(
        'client handshake to %s failed: %s%s (%s)',
        this.address,
        error.message,
        detail,
        (error as Partial<WebSocketError>).code ?? error.name,
      );
    }
    this.abortHandshake = undefined;
    // WHATWG (and ws): failing a connection not yet established makes it CLOSING for 'error', CLOSED for 'close'.
    this.handshakeState = ReadyState.CLOSING;
    this.ownHeartbeat?.stop();
    emitError(this, error);
    this.handshakeState = ReadyState.CLOSED;
    this.emit('close', CloseCode.AbnormalClosure, Buffer.from(''));
  }

  private sendControl(
    opcode: number,
    data: ControlData | SendCallback | undefined,
    mask: boolean | SendCallback | undefined,
    callback: SendCallback | undefined,
  ): void {
    if (this.readyState === ReadyState.CONNECTING) throw new Error(NOT_CONNECTED);
    // ws's argument forms: (callback), (data, callback), (data, mask, callback).
    if (typeof data === 'function') {
      callback = data;
      data = mask = undefined;
    } else if (typeof mask === 'function') {
      callback = mask;
      mask = undefined;
    }
    if (mask !== undefined) checkMask(mask, this.isClient);
    let payload: Buffer | Blob;
    if (data instanceof Blob) payload = data;
    else {
      const converted =
        data === undefined || data === null ? EMPTY : toPayload(typeof data === 'number' ? String(data) : data);
      payload = typeof converted === 'string' ? Buffer.from(converted) : converted;
    }
    // RFC 6455 §5.5: control frames carry at most 125 bytes; a Blob is known by its size before it is read.
    const size = payload instanceof Blob ? payload.size : payload.length;
    if (size > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    const open = this.open;
    if (open === undefined || this.readyState !== ReadyState.OPEN || open.closeSent) {
      this.refusedBytes += size;
      if (callback) process.nextTick(callback, notOpenError(this.readyState));
      return;
    }
    open.sendControl(opcode, payload, callback);
  }

  /**
   * Whether this is a client connection: a server-side one is open from the start, a client is
   * not until its handshake completes (or ever, when it fails).
   */
  private get isClient(): boolean {
    return this.open === undefined || this.open.connection.role === 'client';
  }
}

// As the WHATWG interface (and ws) shape them: the ready-state constants are enumerable, fixed
// values on the class and on its prototype (not a copy on every connection), and the attributes
// are enumerable accessors of the prototype.
for (const name of READY_STATE_NAMES) {
  Object.defineProperty(WebSocket, name, { enumerable: true, value: ReadyState[name] });
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true, value: ReadyState[name] });
}
for (const name of [
  'binaryType',
  'bufferedAmount',
  'extensions',
  'isPaused',
  'protocol',
  'readyState',
  'url',
  'onopen',
  'onerror',
  'onclose',
  'onmessage',
]) {
  Object.defineProperty(WebSocket.prototype, name, { enumerable: true });
}
