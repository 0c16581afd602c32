import { CloseCode } from './close-codes.js';
import { WebSocketError } from './errors.js';
import { encodeClosePayload, encodeFrame } from './frame-encoder.js';
import { FrameParser, type FrameParserOptions, type FrameSink } from './frame-parser.js';
import { MaskKeySource } from './mask.js';
import { Opcode } from './opcodes.js';

/**
 * The masking keys of every client connection in the process, from one pool: each key is fresh
 * CSPRNG output whoever draws it (RFC 6455 §10.3 asks only that keys be unpredictable), and a
 * pool per connection would hold 4 KiB for each of thousands of idle clients.
 */
const CLIENT_MASKS = new MaskKeySource();

/** The four states of a WebSocket (WHATWG WebSockets `readyState`). */
export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;

/** One of the four ready states. */
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/** What a {@link Connection} tells its host. */
export interface ConnectionHandler {
  /** Bytes the protocol itself must send: pong replies, the reply to a close, the close that fails a connection. */
  write(bytes: Uint8Array): void;
  onMessage(data: Uint8Array, isBinary: boolean, rsv: number): void;
  onPing(data: Uint8Array): void;
  onPong(data: Uint8Array): void;
  /**
   * The peer's close frame arrived. Once both close frames have crossed (check `closeSent`), the
   * WebSocket connection is closed; RFC 6455 §7.1.1 has the server close TCP first.
   */
  onPeerClose(code: number, reason: string): void;
  /** The peer broke the protocol; the close frame with `error.closeCode` has been written (§7.1.7). */
  onProtocolError(error: WebSocketError): void;
}

/** Options of a {@link Connection}. */
export interface ConnectionOptions extends Omit<FrameParserOptions, 'readsFrom'> {
  /** Which end of the connection this is; a client masks what it sends (RFC 6455 §5.1). */
  readonly role: 'client' | 'server';
  /** Answer pings with pongs (RFC 6455 §5.5.2 requires it). @default true */
  readonly autoPong?: boolean;
}

/**
 * The sans-I/O WebSocket protocol for one connection, after the handshake: bytes in through
 * {@link receive}, events out through the handler, and frames out through {@link encode} or,
 * for frames the protocol sends by itself, `handler.write`. It runs the close handshake
 * (RFC 6455 §7): it replies to a close once, never sends data after a close, never puts 1005,
 * 1006 or 1015 on the wire, and ignores what follows the peer's close. It keeps the connection's
 * ready state and where the message this side sends in fragments stands (§5.4), so that a host
 * is plumbing around it.
 *
 * @example
 * const connection = new Connection(handler, { role: 'server', maxPayload: 1 << 20 });
 * socket.on('data', (chunk) => connection.receive(chunk));
 * socket.write(connection.encode(Opcode.Text, bytes));
 */
export class Connection implements FrameSink {
  readonly role: 'client' | 'server';
  private readonly parser: FrameParser;
  private readonly masks: MaskKeySource | undefined;
  private readonly autoPong: boolean;
  private readonly allocate: ((size: number) => Uint8Array) | undefined;
  private state: ReadyState = ReadyState.OPEN;
  private sentClose = false;
  private receivedClose = false;
  private peerStartedClose = false;
  /** Whether a message this side sends is fragmented and its last frame is still to come (§5.4). */
  private sendingFragments = false;
  /** The close code to report: the peer's (§7.1.5), the one a protocol error failed with, or 1006. */
  closeCode: number = CloseCode.AbnormalClosure;
  closeReason = '';

  constructor(
    private readonly handler: ConnectionHandler,
    options: ConnectionOptions,
  ) {
    this.role = options.role;
    this.parser = new FrameParser(this, { ...options, readsFrom: options.role === 'server' ? 'client' : 'server' });
    this.masks = options.role === 'client' ? CLIENT_MASKS : undefined;
    this.autoPong = options.autoPong ?? true;
    this.allocate = options.allocate;
  }

  /**
   * OPEN from the start (a connection exists once its handshake completed), CLOSING once this side's
   * close frame is encoded (by {@link close}, which also answers the peer's close and fails the
   * connection) or the host began closing without one (see {@link startClosing}), CLOSED once the
   * host reports its transport closed ({@link transportClosed}).
   */
  get readyState(): ReadyState {
    return this.state;
  }

  /**
   * The host began closing without a close frame yet: one waits behind data still being prepared,
   * or the transport ended or failed (§7.1.1). An open connection becomes CLOSING.
   */
  startClosing(): void {
    if (this.state === ReadyState.OPEN) this.state = ReadyState.CLOSING;
  }

  /** The transport closed and the host is done with it (§7.1.4): the connection is CLOSED. */
  transportClosed(): void {
    this.state = ReadyState.CLOSED;
  }

  /** Whether this side has sent its close frame. */
  get closeSent(): boolean {
    return this.sentClose;
  }

  /** Whether the peer's close frame has arrived. */
  get closeReceived(): boolean {
    return this.receivedClose;
  }

  /** Whether the peer started the close handshake: its close frame arrived before this side sent one. */
  get closeStartedByPeer(): boolean {
    return this.peerStartedClose;
  }

  /**
   * Whether the closing handshake completed: both close frames crossed (§7.1.4). A connection whose
   * transport then closes was closed cleanly (WHATWG's `wasClean`, for any code but 1006).
   */
  get closedCleanly(): boolean {
    return this.sentClose && this.receivedClose;
  }

  /**
   * Whether this side is in the middle of sending a fragmented message: a frame encoded whole
   * elsewhere (a broadcast) cannot go between its fragments (§5.4).
   */
  get midMessage(): boolean {
    return this.sendingFragments;
  }

  /**
   * The opcode of the next data frame this side sends, a frame of a message that is `binary` or
   * text: a continuation while a fragmented message is under way (§5.4), else text or binary.
   * `fin` false starts or goes on with a fragmented message; `fin` true ends it.
   */
  nextDataOpcode(binary: boolean, fin: boolean): number {
    const opcode = this.sendingFragments ? Opcode.Continuation : binary ? Opcode.Binary : Opcode.Text;
    this.sendingFragments = !fin;
    return opcode;
  }

  /** Feeds bytes read from the transport. */
  receive(chunk: Uint8Array): void {
    this.parser.receive(chunk);
  }

  /** Bytes the parser keeps of an incomplete message or frame (see {@link FrameParser.bufferedBytes}). */
  get bufferedBytes(): number {
    return this.parser.bufferedBytes;
  }

  /**
   * The transport closed: nothing more will be read, and what the parser held of an incomplete
   * message is let go of now rather than when the connection itself is collected.
   */
  stopReading(): void {
    this.parser.stop();
  }

  /**
   * From inside a handler callback: parse nothing more until {@link resumeReading}; input is kept
   * meanwhile (see {@link FrameParser.pause}). A host that handles a message asynchronously pauses
   * so that what followed it, a close frame above all, is handled after the message.
   */
  pauseReading(): void {
    this.parser.pause();
  }

  /** Parses the input kept since {@link pauseReading}; the handler may pause again on the way. */
  resumeReading(): void {
    this.parser.resume();
  }

  /**
   * Fails the connection for a limit of the host's own (RFC 6455 §10.4), e.g. a peer flooding
   * pings: reading stops, and as for a protocol error the close frame with `error.closeCode` is
   * written (§7.1.7) and `handler.onProtocolError` is told.
   */
  fail(error: WebSocketError): void {
    this.parser.stop();
    this.onError(error);
  }

  /** A fresh masking key when this side is a client, else `undefined`. */
  maskKey(): Uint8Array | undefined {
    return this.masks?.next();
  }

  /** Encodes one frame as this side must send it (masked by clients). */
  encode(opcode: number, payload: Uint8Array, fin = true, rsv = 0): Uint8Array {
    return encodeFrame(opcode, payload, { fin, rsv, maskKey: this.masks?.next() }, this.allocate);
  }

  /**
   * Starts (or, after the peer's close, completes) the close handshake by encoding this side's
   * close frame, once. Returns `undefined` if a close was already sent. `code` must be one that may
   * go on the wire; leave it out to send a close frame with no payload.
   */
  close(code?: number, reason = ''): Uint8Array | undefined {
    if (this.sentClose) return undefined;
    this.sentClose = true;
    this.startClosing();
    return this.encode(Opcode.Close, encodeClosePayload(code, reason));
  }

  onMessage(data: Uint8Array, isBinary: boolean, rsv: number): void {
    // RFC 6455 §7.1.4: once our close is sent we may still receive data until the peer's close;
    // hosts decide whether to deliver it.
    this.handler.onMessage(data, isBinary, rsv);
  }

  onPing(data: Uint8Array): void {
    if (this.autoPong && !this.sentClose) this.handler.write(this.encode(Opcode.Pong, data));
    this.handler.onPing(data);
  }

  onPong(data: Uint8Array): void {
    this.handler.onPong(data);
  }

  onClose(code: number, reason: string): void {
    this.receivedClose = true;
    // §7.1.5: the connection's close code is the one in the first close frame received.
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.sentClose) {
      this.peerStartedClose = true;
      // §5.5.1: echo the status code; a close with no code (1005) is answered with no payload.
      const reply = this.close(code === CloseCode.NoStatusReceived ? undefined : code);
      if (reply) this.handler.write(reply);
    }
    this.handler.onPeerClose(code, reason);
  }

  onError(error: WebSocketError): void {
    // §7.1.7: fail the connection by sending a close frame with the matching code, if none went out yet.
    const frame = this.close(error.closeCode, fitsCloseReason(error.message) ? error.message : '');
    if (frame) this.handler.write(frame);
    this.closeCode = error.closeCode;
    this.closeReason = '';
    this.handler.onProtocolError(error);
  }
}

/**
 * Whether `reason` fits a close frame: RFC 6455 §5.5 caps a control frame's payload at 125 bytes, two of
 * them the close code, and the reason goes as UTF-8, so it is the encoded length that counts, not the
 * string's UTF-16 length.
 */
function fitsCloseReason(reason: string): boolean {
  return textEncoder.encode(reason).length <= 123;
}

const textEncoder = new TextEncoder();
