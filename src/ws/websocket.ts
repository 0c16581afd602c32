import { Buffer, isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  CloseCode,
  Connection,
  ErrorCode,
  Opcode,
  RSV1,
  ReadyState,
  WebSocketError,
  frameHeaderSize,
  writeFrameHeader,
  type ConnectionHandler,
} from '../protocol/index.js';
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
import { DeflateSession, type DeflateAgreement, type DeflateHost } from './deflate-session.js';
import { addBrowserListener, handlerProperty, removeBrowserListener, setHandlerProperty } from './browser-listeners.js';
import {
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  WebSocketEvent,
  type EventListenerLike,
  type WebSocketEventType,
} from './events.js';
import { BlobQueue, type PendingClose } from './blob-queue.js';
import { Heartbeat } from './heartbeat.js';
import { setSocketOwner } from './socket-owner.js';
import type { ResolvedConnectionSettings } from './options.js';
import { PerMessageDeflate } from './permessage-deflate.js';
import { SendAdmission } from './send-admission.js';
import {
  asBuffer,
  encodeFrameBuffer,
  isBinaryType,
  payloadSize,
  toBinaryType,
  toPayload,
  type BinaryType,
  type ControlData,
  type SendData,
} from './send-data.js';
import { COPY_THRESHOLD, WriteBatch } from './write-batch.js';

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

/**
 * How long a connection closed because its peer does not read (1013 for a slow reader, 1008 for a
 * ping flood) waits for the peer to read something before its socket is destroyed. Its close frame
 * sits behind the data the peer has not read: waiting the whole `closeTimeout` for a peer that is
 * gone would only pin those bytes (a slow reader's have left the send budget). A peer that reads
 * at least half of what is left during a grace is slow, not gone: it gets another, up to
 * `closeTimeout` in all, so that it can still take the close frame. Half, not any progress: a peer
 * that reads a byte a second must not hold the rest outside the budget for `closeTimeout`.
 */
const STALLED_PEER_GRACE = 1000;

const EMPTY = Buffer.alloc(0);
/** The protocol core's events for one connection, as prototype methods rather than closures per connection. */
class ProtocolEvents implements ConnectionHandler {
  constructor(private readonly owner: WebSocket) {}

  write(bytes: Uint8Array): void {
    this.owner.writeProtocolFrame(asBuffer(bytes));
  }

  onMessage(data: Uint8Array, isBinary: boolean): void {
    this.owner.handleMessage(asBuffer(data), isBinary);
  }

  onPing(data: Uint8Array): void {
    this.owner.emit('ping', asBuffer(data));
  }

  onPong(data: Uint8Array): void {
    this.owner.emit('pong', asBuffer(data));
  }

  onPeerClose(): void {
    this.owner.handlePeerClose();
  }

  onProtocolError(error: WebSocketError): void {
    this.owner.handleProtocolError(error);
  }
}

// Not `implements HeartbeatTarget, SocketOwner, AdmissionHost, BlobQueueHost`: the members those
// need are internal, so `stripInternal` leaves them out of the published declarations, where the
// clause would then fail to type-check. Passing `this` to `Heartbeat`, `setSocketOwner`,
// `SendAdmission` and `BlobQueue` checks the shape.
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
  private socket: Duplex | undefined;
  private connection: Connection | undefined;
  private settings: ResolvedConnectionSettings | undefined;
  private alive = true;
  private closeTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  /** Sends, pings and pongs waiting behind a Blob being read, while one is (see `queueSend`). */
  private blobs: BlobQueue | undefined;
  private ownHeartbeat: Heartbeat | undefined;
  private registry: SocketSetup['registry'];
  private abortHandshake: ((error: Error) => void) | undefined;
  private deflate: DeflateSession | undefined;
  private userPaused = false;
  private inflateHold = false;
  /** The pong for the latest ping, waiting for the socket to drain or for the next frame written (see `writeProtocolFrame`). */
  private pendingPong: Buffer | undefined;
  /** Pings in a row, with no message between them, whose pong was replaced in `pendingPong` before it could be written. */
  private unansweredPings = 0;
  /** Whether the connection is being closed because its peer does not read (see `STALLED_PEER_GRACE`). */
  private peerStalled = false;
  private admission: SendAdmission | undefined;
  /** This tick's frames, written together at its end. */
  private batch: WriteBatch | undefined;

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
    return this.connection?.readyState ?? this.handshakeState;
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
    return (this.socket?.writableLength ?? 0) + this.bufferedBeside + this.refusedBytes;
  }

  /** @internal What {@link bufferedAmount} counts beside the socket's own buffer. */
  get bufferedBeside(): number {
    return (
      (this.batch?.heldBytes ?? 0) +
      (this.blobs?.bytes ?? 0) +
      (this.deflate?.bufferedAmount ?? 0) +
      (this.pendingPong?.length ?? 0)
    );
  }

  /**
   * @internal Whether sends are backing up: the socket's buffer passed its high-water mark and has
   * not drained yet, or more than that much waits behind a Blob or for compression. The frames of
   * the current tick's batch do not count (they leave at the end of the tick), nor does a message
   * being compressed right now.
   */
  get congested(): boolean {
    const socket = this.socket;
    if (socket === undefined) return false;
    return (
      socket.writableNeedDrain ||
      (this.blobs?.bytes ?? 0) + (this.deflate?.bufferedAmount ?? 0) > socket.writableHighWaterMark
    );
  }

  /** Whether the application paused reading with {@link pause} (and has not resumed it). */
  get isPaused(): boolean {
    return this.userPaused;
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
    if (state !== ReadyState.OPEN) {
      this.refusedBytes += payloadSize(data);
      if (callback) process.nextTick(callback, notOpenError(state));
      return;
    }
    if (this.blobs !== undefined || data instanceof Blob) {
      this.queueSend(data, options, callback, undefined);
      return;
    }
    this.sendPayload(toPayload(data), options, callback);
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
    if (this.readyState === ReadyState.CONNECTING) {
      this.abortHandshake?.(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.connection!.startClosing();
    // Blobs are still being read for earlier sends: browsers and ws send them before the close frame.
    if (this.blobs !== undefined) this.blobs.closeBehind = { code, reason: text };
    else this.sendClose(code, text);
  }

  /** Writes our close frame (after the messages still being compressed) and waits for the peer's. */
  private sendClose(code: number | undefined, text: string): void {
    const frame = this.connection!.close(code, text);
    const finish = (): void => {
      if (frame) {
        // Nothing follows a close frame: it goes now, with what this tick batched before it,
        // rather than at the end of the tick (bufferedAmount drops at once, as in ws).
        this.output(asBuffer(frame), undefined);
        this.batch!.flush();
      }
      if (this.connection!.closeReceived) this.finishClosingHandshake();
      else this.startCloseTimer();
    };
    // The close frame goes after the messages still being compressed.
    if (this.deflate) this.deflate.closeAfterSends(finish);
    else finish();
  }

  /** Destroys the connection at once, without a closing handshake (the close code reported is 1006). */
  terminate(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    // No socket: still connecting, or failing to (CLOSING while its 'error' is emitted).
    if (this.socket === undefined) {
      // The wording is ws's: it says "closed" for both.
      this.abortHandshake?.(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.connection!.startClosing();
    this.socket.destroy();
  }

  /** Stops reading from the socket, so a fast sender is slowed down by TCP flow control; does nothing while connecting or once closed, as in `ws`. */
  pause(): void {
    if (this.socket === undefined || this.readyState === ReadyState.CLOSED) return;
    this.userPaused = true;
    this.socket.pause();
  }

  /** Resumes reading after {@link pause}; does nothing while connecting or once closed. */
  resume(): void {
    if (this.socket === undefined || this.readyState === ReadyState.CLOSED) return;
    this.userPaused = false;
    if (!this.inflateHold) this.socket.resume();
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
    return this.connection?.closedCleanly ?? false;
  }

  /** @internal Heartbeat check: terminate if silent since the last check, else ping. */
  checkAlive(): boolean {
    if (this.readyState !== ReadyState.OPEN) return this.readyState !== ReadyState.CLOSED;
    if (!this.alive) {
      this.terminate();
      return false;
    }
    this.alive = false;
    this.sendControl(Opcode.Ping, undefined, undefined, undefined);
    return true;
  }

  /** @internal Writes already encoded frames (a broadcast encodes once for many sockets). */
  sendFrame(frame: Buffer, callback?: SendCallback): boolean {
    const connection = this.connection;
    if (connection?.readyState !== ReadyState.OPEN || connection.midMessage || this.blobs !== undefined) return false;
    if (!this.admission!.admit(frame.length, callback)) return true;
    if (this.deflate) this.deflate.afterSends(() => this.output(frame, callback), callback);
    else this.output(frame, callback);
    this.admission!.written();
    return true;
  }

  private start(setup: SocketSetup): void {
    const { socket, settings } = setup;
    this.socket = socket;
    this.settings = settings;
    this.chosenProtocol = setup.protocol;
    this.registry = setup.registry;
    this.chosenExtensions = setup.extensions;
    this.abortHandshake = undefined;
    this.admission = new SendAdmission(this, socket, settings);
    this.batch = new WriteBatch(socket);
    let handler: ConnectionHandler = new ProtocolEvents(this);
    if (setup.deflate) {
      const { parameters, options } = setup.deflate;
      const deflate = new PerMessageDeflate(parameters, setup.role, options, settings.maxPayload);
      this.deflate = new DeflateSession(this.deflateHost(), deflate, !settings.skipUTF8Validation);
      handler = this.deflate.wrap(handler, () => this.connection!);
    }
    this.connection = new Connection(handler, {
      role: setup.role,
      maxPayload: settings.maxPayload,
      maxFragments: settings.maxFragments,
      messageRsvMask: setup.deflate ? RSV1 : 0,
      autoPong: settings.autoPong,
      isUtf8,
      validateUtf8: !settings.skipUTF8Validation,
      allocate: (size) => Buffer.allocUnsafe(size),
    });
    // A TCP socket has these; another duplex (from `createConnection`, say) may not.
    const tcp = socket as Partial<Pick<Socket, 'setNoDelay' | 'setTimeout'>>;
    if (typeof tcp.setNoDelay === 'function') tcp.setNoDelay(true);
    if (typeof tcp.setTimeout === 'function') tcp.setTimeout(0);
    // Bytes that arrived with the handshake go back into the stream before the 'data' listener
    // starts the flow, which begins on the next tick: after the 'connection' callback (or 'open')
    // has let the caller add its listeners. Unshifted into a flowing stream they would be
    // emitted at once, before anyone listens, and lost.
    if (setup.head.length > 0) socket.unshift(setup.head);
    setSocketOwner(socket, this);
    // A socket handed over paused (so nothing was read before these listeners existed) starts flowing now.
    if (socket.isPaused()) socket.resume();
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

  /** @internal Feeds bytes read from the socket to the protocol. */
  receive(chunk: Buffer): void {
    this.alive = true;
    this.connection!.receive(chunk);
  }

  /**
   * @internal Writes a frame the protocol sends by itself: a pong, or a close frame. A peer that
   * sends pings and never reads would have its pongs pile up in the write buffer, each a small
   * buffer costing far more memory than its bytes. RFC 6455 §5.5.3 lets an endpoint that has not
   * yet answered earlier pings answer only the most recent one: while the socket's buffer is full,
   * the pong for the latest ping waits in one slot, replacing the one before, until the socket
   * drains or another frame is written. Reading goes on (two peers streaming to each other while
   * pinging would otherwise each wait for the other to read); what bounds a flood's work is the
   * count of pings in a row, with no message between them, left unanswered: past
   * `maxUnansweredPings` a policy violation (1008). A peer busy sending data pings between its
   * messages, and those start the count again.
   */
  writeProtocolFrame(bytes: Buffer): void {
    const socket = this.socket!;
    if ((bytes[0]! & 0x0f) !== Opcode.Pong || (this.pendingPong === undefined && !socket.writableNeedDrain)) {
      this.output(bytes, undefined);
      return;
    }
    if (this.pendingPong !== undefined && ++this.unansweredPings > this.settings!.maxUnansweredPings) {
      this.pendingPong = undefined;
      this.peerStalled = true;
      this.connection!.fail(
        new WebSocketError(
          ErrorCode.PingFlood,
          `more than maxUnansweredPings (${this.settings!.maxUnansweredPings}) pings in a row while the peer does not read`,
        ),
      );
      return;
    }
    this.pendingPong = bytes;
  }

  /** @internal A message from the peer: pings that follow it are not in a row with those before (see `writeProtocolFrame`). */
  handleMessage(data: Buffer, isBinary: boolean): void {
    this.unansweredPings = 0;
    // As in ws, binary data takes the binaryType's form for every listener; the default costs one
    // comparison. The event is declared with the default form, Buffer (see RawData).
    this.emit(
      'message',
      (isBinary && this.binary !== 'nodebuffer' ? toBinaryType(data, this.binary) : data) as Buffer,
      isBinary,
    );
  }

  /** @internal The peer's close frame arrived (and was answered: the core is CLOSING). */
  handlePeerClose(): void {
    this.finishClosingHandshake();
  }

  /** @internal The peer broke the protocol; the core has written the close frame. */
  handleProtocolError(error: WebSocketError): void {
    if (debug.enabled)
      debug(
        '%s connection failed: %s %s (close %d)',
        this.connection!.role,
        error.code,
        error.message,
        error.closeCode,
      );
    this.failure = error;
    this.emitError(error);
    this.endSocket();
    this.startCloseTimer();
  }

  /** @internal The socket has written all it held: the waiting pong goes, the send budget is settled. */
  handleSocketDrain(): void {
    if (this.pendingPong !== undefined) this.writeWaitingPong();
    this.admission!.settle(this.socket!.writableLength + this.bufferedBeside);
    this.emit('drain');
  }

  /** @internal The peer reads too slowly to go on: see {@link SendAdmission}. */
  abandonSlowPeer(error: WebSocketError): void {
    this.peerStalled = true;
    if (this.readyState === ReadyState.OPEN) this.close(CloseCode.TryAgainLater, 'send buffer full');
    // Closing already (the send budget closed it to make room): what it holds is no longer charged, so it goes after the grace too.
    else if (this.closeTimer !== undefined) this.startCloseTimer();
    // Not from inside the send: a listener that sends or closes would run in the middle of it (or of a broadcast).
    process.nextTick(() => this.emitError(error));
  }

  /** Writes bytes to the socket, batched with the rest of this tick's (see {@link WriteBatch}), after the waiting pong. */
  private output(bytes: Buffer, callback: SendCallback | undefined): void {
    if (this.pendingPong !== undefined) this.writeWaitingPong();
    this.batch!.write(bytes, callback);
  }

  /**
   * Writes the waiting pong, ahead of the frame about to be written if any: a link kept busy with
   * data may not drain for a long time, and the pong answers the peer's latest ping (§5.5.3). No
   * pong follows our close frame: a close written goes through `output`, after this.
   */
  private writeWaitingPong(): void {
    const pong = this.pendingPong!;
    this.pendingPong = undefined;
    this.unansweredPings = 0;
    this.output(pong, undefined);
  }

  /** Ends the socket after whatever this tick has batched. */
  private endSocket(): void {
    this.batch!.flush();
    this.socket!.end();
  }

  private deflateHost(): DeflateHost {
    return {
      writeFrame: (opcode, payload, fin, rsv, callback) => {
        const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
        this.writeFrame(opcode, payload, length, fin, callback, rsv);
      },
      holdReading: (hold) => {
        this.inflateHold = hold;
        if (hold) this.socket!.pause();
        else if (!this.userPaused) this.socket!.resume();
      },
      onInternalError: (error) => {
        this.emitError(error);
        if (this.readyState === ReadyState.OPEN) this.close(CloseCode.InternalError);
      },
    };
  }

  /** Both close frames have crossed: RFC 6455 §7.1.1 has the server close TCP first; the client waits for it. */
  private finishClosingHandshake(): void {
    const connection = this.connection!;
    if (!connection.closeSent || !connection.closeReceived) return;
    if (connection.role === 'server') {
      // With permessage-deflate our close frame may still wait behind messages being compressed.
      if (this.deflate) this.deflate.closeAfterSends(() => this.endSocket());
      else this.endSocket();
    }
    this.startCloseTimer();
  }

  private startCloseTimer(): void {
    clearTimeout(this.closeTimer);
    const { closeTimeout } = this.settings!;
    if (this.peerStalled) this.startGrace(Math.min(closeTimeout, STALLED_PEER_GRACE), Date.now() + closeTimeout);
    else this.closeTimer = setTimeout(() => this.socket?.destroy(), closeTimeout);
    this.closeTimer!.unref();
  }

  /** Destroys the socket of a peer that does not read after `grace` ms, unless it read half of what was left meanwhile (see `STALLED_PEER_GRACE`). */
  private startGrace(grace: number, deadline: number): void {
    const socket = this.socket!;
    const held = socket.writableLength;
    this.closeTimer = setTimeout(() => {
      // Nothing held at the start: the close frame was written, and the peer had a grace to answer it.
      if (held > 0 && socket.writableLength <= held / 2 && Date.now() + grace <= deadline)
        this.startGrace(grace, deadline);
      else socket.destroy();
    }, grace);
    this.closeTimer.unref();
  }

  /** @internal */
  handleSocketEnd(): void {
    // The peer closed its side: with no more input coming, close ours (the server's sockets allow half-open).
    this.connection!.startClosing();
    this.endSocket();
  }

  /** @internal */
  handleSocketError(error: Error): void {
    // A reset or a write after the peer left: the close event reports 1006, the process carries on.
    this.failure ??= error;
    this.connection!.startClosing();
    this.socket!.destroy();
  }

  /** @internal */
  handleSocketClose(): void {
    clearTimeout(this.closeTimer);
    this.ownHeartbeat?.stop();
    this.pendingPong = undefined;
    this.admission!.settle(0);
    this.rejectQueuedSends();
    if (this.deflate === undefined) this.finishSocketClose();
    else {
      // Messages the peer sent before it closed may still be inflating, with what followed them
      // not parsed yet: they are delivered first.
      this.connection!.startClosing();
      this.deflate.afterInbound(() => this.finishSocketClose());
    }
  }

  private finishSocketClose(): void {
    const connection = this.connection!;
    // Nothing more will be read: the pieces of a message cut short go now, not with this object.
    connection.stopReading();
    // Sends still being compressed fail while CLOSING, as in ws; the state is CLOSED only for 'close'.
    this.deflate?.close();
    connection.transportClosed();
    this.registry?.release(this);
    const code =
      connection.closeReceived || this.failure instanceof WebSocketError
        ? connection.closeCode
        : CloseCode.AbnormalClosure;
    const reason = connection.closeReceived ? connection.closeReason : '';
    if (debug.enabled) {
      const by = connection.closeStartedByPeer
        ? 'the peer'
        : connection.closeSent
          ? 'this side'
          : 'neither side (connection lost)';
      debug(
        '%s connection closed: %d %j, closed by %s, %s',
        connection.role,
        code,
        reason,
        by,
        connection.closedCleanly ? 'clean' : 'not clean',
      );
    }
    this.emitClose(code, reason);
  }

  private emitClose(code: number, reason: string): void {
    this.emit('close', code, Buffer.from(reason));
  }

  private emitError(error: Error): void {
    // An 'error' with no listener would throw and crash the process; a peer must never be able to do that.
    if (this.listenerCount('error') > 0) this.emit('error', error);
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
    this.emitError(error);
    this.handshakeState = ReadyState.CLOSED;
    this.emitClose(CloseCode.AbnormalClosure, '');
  }

  private sendPayload(
    payload: string | Buffer,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
  ): void {
    const binary = options?.binary ?? typeof payload !== 'string';
    const fin = options?.fin ?? true;
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const admission = this.admission!;
    if (!admission.admit(length, callback)) return;
    const opcode = this.connection!.nextDataOpcode(binary, fin);
    if (!this.deflate?.send(opcode, payload, length, fin, options?.compress, callback))
      this.writeFrame(opcode, payload, length, fin, callback);
    admission.written();
  }

  private writeFrame(
    opcode: number,
    payload: string | Buffer,
    length: number,
    fin: boolean,
    callback: SendCallback | undefined,
    rsv = 0,
  ): void {
    const maskKey = this.connection!.maskKey();
    if (typeof payload === 'string' || maskKey !== undefined || length <= COPY_THRESHOLD) {
      this.output(encodeFrameBuffer(opcode, payload, length, fin, rsv, maskKey), callback);
      return;
    }
    // Large server payloads go out without a copy, header and payload in one corked write.
    if (this.pendingPong !== undefined) this.writeWaitingPong();
    const header = Buffer.allocUnsafe(frameHeaderSize(length, false));
    writeFrameHeader(header, 0, opcode, length, fin, rsv);
    this.batch!.writeSeparately(header, payload, callback);
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
    if (this.readyState !== ReadyState.OPEN || this.connection!.closeSent) {
      this.refusedBytes += size;
      if (callback) process.nextTick(callback, notOpenError(this.readyState));
      return;
    }
    // Behind a Blob being read, as ws orders them: the frames leave in the order they were asked for.
    if (this.blobs !== undefined || payload instanceof Blob) this.queueSend(payload, undefined, callback, opcode);
    else this.writeControl(opcode, payload, callback);
  }

  /** Writes a ping or pong, after the messages still being compressed. */
  private writeControl(opcode: number, payload: Buffer, callback: SendCallback | undefined): void {
    const frame = asBuffer(this.connection!.encode(opcode, payload));
    if (this.deflate) this.deflate.afterSends(() => this.output(frame, callback), callback);
    else this.output(frame, callback);
  }

  /** Queues a send, ping or pong behind the Blobs being read, or behind this one (see {@link BlobQueue}). */
  private queueSend(
    data: SendData,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
    control: number | undefined,
  ): void {
    if (this.blobs === undefined) this.blobs = new BlobQueue(this, data, options, callback, control);
    else this.blobs.push(data, options, callback, control);
  }

  /** @internal A send, ping or pong whose Blob has been read (see {@link BlobQueue}). */
  writeQueued(
    payload: string | Buffer,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
    control: number | undefined,
  ): void {
    // A ping's or pong's data is a Buffer or a Blob, so its payload is a Buffer.
    if (control === undefined) this.sendPayload(payload, options, callback);
    else this.writeControl(control, payload as Buffer, callback);
  }

  /** @internal Every send queued behind Blobs has gone: a `close()` that waited for them goes now. */
  blobQueueDrained(close: PendingClose | undefined): void {
    this.blobs = undefined;
    this.sendCloseBehindBlobs(close);
  }

  /**
   * @internal A Blob could not be read: as in `ws`, `'error'` is emitted and the connection closes
   * with the code given to a waiting `close()`, else 1011.
   */
  blobReadFailed(error: Error, close: PendingClose | undefined): void {
    this.blobs = undefined;
    this.emitError(error);
    if (this.readyState === ReadyState.OPEN) {
      this.connection!.startClosing();
      close = { code: CloseCode.InternalError, reason: 'a Blob could not be read' };
    }
    this.sendCloseBehindBlobs(close);
  }

  private sendCloseBehindBlobs(close: PendingClose | undefined): void {
    // The peer's close may have come meanwhile and been answered: the handshake is then complete.
    if (close !== undefined && !this.connection!.closeSent) this.sendClose(close.code, close.reason);
  }

  /** @internal Whether our close frame has been written (see {@link BlobQueue}). */
  get closeSent(): boolean {
    return this.connection!.closeSent;
  }

  /** @internal Whether the socket has been destroyed (see {@link BlobQueue}). */
  get socketDestroyed(): boolean {
    return this.socket!.destroyed;
  }

  /**
   * Whether this is a client connection: a server-side one has its connection from the start, a
   * client has none until its handshake completes (or ever, when it fails).
   */
  private get isClient(): boolean {
    return this.connection === undefined || this.connection.role === 'client';
  }

  private rejectQueuedSends(): void {
    this.batch!.discard();
    const blobs = this.blobs;
    this.blobs = undefined;
    blobs?.cutOff();
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
