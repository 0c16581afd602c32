import { Buffer, isUtf8 } from 'node:buffer';
import {
  ErrorCode,
  Opcode,
  RSV1,
  WebSocketError,
  acceptExtensions,
  negotiateExtensions,
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  type Connection,
  type ConnectionHandler,
  type DeflateParameters,
  type ExtensionElement,
} from '../protocol/index.js';
import { PerMessageDeflate, type ResolvedDeflateOptions } from './permessage-deflate.js';

function closedError(): WebSocketError {
  return new WebSocketError(ErrorCode.ConnectionClosed, 'the connection closed before the frame was sent');
}

/** What a connection needs to run permessage-deflate once the handshake agreed on it. */
export interface DeflateAgreement {
  readonly parameters: DeflateParameters;
  readonly options: ResolvedDeflateOptions;
}

/**
 * Server handshake: answers the `Sec-WebSocket-Extensions` response value and the agreement when
 * one of the client's permessage-deflate offers is acceptable, else `undefined` (RFC 7692 §5).
 */
export function negotiateDeflateExtension(
  offers: readonly ExtensionElement[],
  options: ResolvedDeflateOptions | undefined,
): { header: ExtensionElement[]; agreement: DeflateAgreement } | undefined {
  if (options === undefined) return undefined;
  const extension = new PerMessageDeflateServer(options);
  const { response } = negotiateExtensions(offers, [extension]);
  if (extension.parameters === undefined) return undefined;
  return { header: response, agreement: { parameters: extension.parameters, options } };
}

/**
 * Client handshake: the offer to send, and a check of the server's answer that gives the agreement
 * (`undefined` if the server declined). The check throws a `WebSocketError` for an answer that
 * RFC 6455 §4.1 or RFC 7692 §5.1 says fails the connection.
 */
export function offerDeflateExtension(options: ResolvedDeflateOptions | undefined): {
  offer: ExtensionElement[];
  accept(response: readonly ExtensionElement[]): DeflateAgreement | undefined;
} {
  const extension = options === undefined ? undefined : new PerMessageDeflateClient(options);
  return {
    offer: extension === undefined ? [] : extension.offer().map((params) => ({ name: extension.name, params })),
    accept(response) {
      const accepted = acceptExtensions(response, extension === undefined ? [] : [extension]);
      if (extension === undefined || accepted.length === 0) return undefined;
      return { parameters: extension.parameters!, options: options! };
    },
  };
}

/**
 * A FIFO of actions where some places are reserved before their action is known: an action runs
 * once everything ahead of it has run. Keeps a connection's messages in order around async zlib work.
 */
export class OrderedQueue {
  private readonly slots: { action: (() => void) | undefined }[] = [];

  /** Whether nothing is waiting, so an action may run at once. */
  get idle(): boolean {
    return this.slots.length === 0;
  }

  /** Runs `action` now if nothing is waiting, else after everything queued before it. */
  run(action: () => void): void {
    if (this.slots.length === 0) action();
    else this.slots.push({ action });
  }

  /** Reserves the next place; the returned function fills it, and the queue runs what is ready. */
  reserve(): (action: () => void) => void {
    const slot: { action: (() => void) | undefined } = { action: undefined };
    this.slots.push(slot);
    return (action) => {
      slot.action = action;
      this.flush();
    };
  }

  private flush(): void {
    while (this.slots.length !== 0) {
      const head = this.slots[0]!;
      const action = head.action;
      if (action === undefined) return;
      this.slots.shift();
      action();
    }
  }
}

/** What a {@link DeflateSession} needs from its WebSocket. */
export interface DeflateHost {
  /** Writes one data frame to the socket; `callback` runs once it is written. */
  writeFrame(
    opcode: number,
    payload: string | Buffer,
    fin: boolean,
    rsv: number,
    callback: ((error?: Error | null) => void) | undefined,
  ): void;
  /** Pauses (`true`) or resumes reading from the socket while messages are being inflated. */
  holdReading(hold: boolean): void;
  /** The compressor failed (not the peer): the connection cannot go on. */
  onInternalError(error: Error): void;
}

/**
 * Runs permessage-deflate for one open connection between its {@link Connection} and its
 * WebSocket: inflates messages with RSV1 set, compresses sends, and keeps both directions in
 * order. Inbound, the connection parses nothing after a compressed message until the message is
 * inflated and delivered, and reading pauses meanwhile, so a close frame that followed it is
 * answered only once the application has seen the message (and could reply while open).
 * Outbound, every frame sent after a message being compressed waits for it, the reply to the
 * peer's close included, so neither direction lets a frame overtake another.
 */
export class DeflateSession {
  private readonly outbound = new OrderedQueue();
  /** Bytes given to `send` that wait in the outbound queue. */
  private waitingBytes = 0;
  /** Compress the continuation fragments of the message being sent in pieces (decided on its first). */
  private compressingFragments = false;
  /** The connection wrote its own close frame (a reply or a failure): queued data can no longer go. */
  private closeOnWire = false;
  private failed = false;
  /** A message is being inflated, and the connection's parsing is paused behind it. */
  private inflating = false;
  /** Told once no message is being inflated (see {@link afterInbound}). */
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly host: DeflateHost,
    private readonly deflate: PerMessageDeflate,
    /** Whether inflated text is checked as UTF-8 (off with `skipUTF8Validation`). */
    private readonly validateUtf8 = true,
  ) {}

  /** Bytes accepted by `send` still waiting for compression or for earlier messages. */
  get bufferedAmount(): number {
    return this.waitingBytes;
  }

  /**
   * Wraps the WebSocket's protocol handler: compressed messages are inflated (and text checked as
   * UTF-8 afterwards) while the connection's parsing is paused, so every other event comes in order.
   */
  wrap(handler: ConnectionHandler, connection: () => Connection): ConnectionHandler {
    return {
      write: (bytes) => {
        // Connection writes by itself only pongs and, once closeSent is set, its own close frame.
        const current = connection();
        if (!current.closeSent) return handler.write(bytes);
        if (!current.closeReceived) {
          // A failure's close frame goes at once: what is still being compressed is dropped.
          this.closeOnWire = true;
          return handler.write(bytes);
        }
        // The reply to the peer's close goes after what the application sent before it, such as
        // an answer to the message that preceded the close, still being compressed.
        this.outbound.run(() => {
          this.closeOnWire = true;
          handler.write(bytes);
        });
      },
      onMessage: (data, isBinary, rsv) => {
        if ((rsv & RSV1) === 0) handler.onMessage(data, isBinary, 0);
        else this.inflate(data, isBinary, handler, connection());
      },
      onPing: (data) => handler.onPing(data),
      onPong: (data) => handler.onPong(data),
      onPeerClose: (code, reason) => handler.onPeerClose(code, reason),
      onProtocolError: (error) => handler.onProtocolError(error),
    };
  }

  /**
   * Sends a data frame through the compressor, or behind the messages still being compressed.
   * Answers `false` when the caller may write it uncompressed at once (nothing is waiting).
   */
  send(
    opcode: number,
    payload: string | Buffer,
    length: number,
    fin: boolean,
    compress: boolean | undefined,
    callback: ((error?: Error | null) => void) | undefined,
  ): boolean {
    if (this.closeOnWire) {
      // The peer's close was answered while its last messages were still inflating: the
      // connection looks open to the application, but nothing may follow our close frame.
      if (callback) process.nextTick(callback, closedError());
      return true;
    }
    const continuation = opcode === Opcode.Continuation;
    // RFC 7692 §6.1: a message is compressed or not as a whole, decided on its first frame.
    const compressed = continuation
      ? this.compressingFragments
      : compress !== false && length >= this.deflate.threshold;
    this.compressingFragments = compressed && !fin;
    if (!compressed) {
      if (this.outbound.idle) return false;
      this.waitingBytes += length;
      this.outbound.run(() => {
        this.waitingBytes -= length;
        this.writeIfOpen(opcode, payload, fin, 0, callback);
      });
      return true;
    }
    this.waitingBytes += length;
    const fill = this.outbound.reserve();
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.deflate.compress(bytes, fin, (error, fragments) =>
      fill(() => {
        this.waitingBytes -= length;
        if (error !== null) {
          callback?.(error);
          if (!(error instanceof WebSocketError && error.code === ErrorCode.ConnectionClosed))
            this.host.onInternalError(error);
          return;
        }
        const last = fragments!.length - 1;
        for (let i = 0; i <= last; i++) {
          // RFC 7692 §6: RSV1 on the first frame of the message only; the rest are continuations.
          const first = i === 0 && !continuation;
          this.writeIfOpen(
            i === 0 ? opcode : Opcode.Continuation,
            fragments![i]!,
            fin && i === last,
            first ? RSV1 : 0,
            i === last ? callback : undefined,
          );
        }
      }),
    );
    return true;
  }

  /**
   * Writes a control frame or a prepared frame after the queued sends, unless the connection has
   * written its own close frame by then: the frame is dropped and `callback` gets an error.
   */
  afterSends(write: () => void, callback?: (error?: Error | null) => void): void {
    this.outbound.run(() => {
      if (!this.closeOnWire) write();
      else callback?.(closedError());
    });
  }

  /** Runs `finish` (which writes our close frame, if any, and ends the connection) after the queued sends. */
  closeAfterSends(finish: () => void): void {
    this.outbound.run(finish);
  }

  /**
   * Runs `action` once no message is being inflated and what arrived behind the last one has been
   * parsed and delivered; at once if none is.
   */
  afterInbound(action: () => void): void {
    if (this.inflating) this.idleWaiters.push(action);
    else action();
  }

  /** Frees the zlib contexts; what waits is answered with `ERR_CONNECTION_CLOSED`. */
  close(): void {
    this.failed = true;
    this.deflate.close();
    this.idleWaiters = [];
    this.waitingBytes = 0;
  }

  private inflate(data: Uint8Array, isBinary: boolean, handler: ConnectionHandler, connection: Connection): void {
    if (this.failed) return;
    // Nothing after this message is parsed until it is delivered (see the class comment).
    this.inflating = true;
    connection.pauseReading();
    this.host.holdReading(true);
    this.deflate.decompress(data, (error, inflated) => {
      if (this.failed) return;
      this.inflating = false;
      let failure = error;
      // RFC 6455 §8.1: text is checked once inflated; the parser could not see it.
      if (failure === null && !isBinary && this.validateUtf8 && !isUtf8(inflated!)) {
        failure = new WebSocketError(ErrorCode.InvalidUtf8, 'text message is not valid UTF-8');
      }
      if (failure === null) {
        handler.onMessage(inflated!, isBinary, 0);
        // What followed the message, possibly another compressed one that pauses parsing again.
        connection.resumeReading();
      } else {
        // Fail the connection (1009 or 1007): what followed is dropped, the close frame goes now.
        connection.fail(failure);
      }
      if (this.inflating) return;
      // Read again even after a failure, so the peer's close frame and TCP close are seen.
      this.host.holdReading(false);
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
    });
  }

  private writeIfOpen(
    opcode: number,
    payload: string | Buffer,
    fin: boolean,
    rsv: number,
    callback: ((error?: Error | null) => void) | undefined,
  ): void {
    if (this.closeOnWire) {
      callback?.(closedError());
      return;
    }
    this.host.writeFrame(opcode, payload, fin, rsv, callback);
  }
}
