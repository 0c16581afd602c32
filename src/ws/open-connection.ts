import { Buffer, isUtf8 } from 'node:buffer';
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
import type { SendOptions } from './call-forms.js';
import { debug } from './debug-log.js';
import { DeflateSession, type DeflateHost } from './deflate-session.js';
import { BlobQueue, type BlobQueueHost, type PendingClose } from './blob-queue.js';
import type { Heartbeat } from './heartbeat.js';
import { setSocketOwner, type SocketOwner } from './socket-owner.js';
import type { ResolvedConnectionSettings } from './options.js';
import { PerMessageDeflate } from './permessage-deflate.js';
import { SendAdmission, type AdmissionHost } from './send-admission.js';
import { asBuffer, encodeFrameBuffer, toBinaryType, toPayload, type SendData } from './send-data.js';
import type { SendCallback, SocketSetup, WebSocket } from './websocket.js';
import { COPY_THRESHOLD, ClientWriteBatch, WriteBatch } from './write-batch.js';

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

/** The core's allocator: one function for every connection rather than a closure each. */
function allocateUnsafe(size: number): Buffer {
  return Buffer.allocUnsafe(size);
}

/** Emits `'error'` on `socket` if anyone listens: with no listener it would throw, and a peer must never be able to crash the process. */
export function emitError(socket: WebSocket, error: Error): void {
  if (socket.listenerCount('error') > 0) socket.emit('error', error);
}

/**
 * What a {@link WebSocket} holds once its handshake has completed: the socket, the protocol core,
 * the write batch, the send admission, permessage-deflate when agreed, the close timer. It owns the
 * socket's events and the core's, and writes every frame; the `WebSocket` checks its arguments and
 * its ready state, then calls in. Created whole when the connection opens, so none of this exists,
 * half set, while connecting.
 */
export class OpenConnection implements ConnectionHandler, SocketOwner, AdmissionHost, BlobQueueHost {
  readonly connection: Connection;
  /** Whether the peer showed life (data or a pong) since the last heartbeat check. */
  alive = true;
  private readonly socket: Duplex;
  private readonly settings: ResolvedConnectionSettings;
  private readonly admission: SendAdmission;
  /** This tick's frames, written together at its end. */
  private readonly batch: WriteBatch;
  private readonly deflate: DeflateSession | undefined;
  private readonly registry: SocketSetup['registry'];
  private closeTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  /** Sends, pings and pongs waiting behind a Blob being read, while one is (see `queueSend`). */
  private blobs: BlobQueue | undefined;
  private userPaused = false;
  private inflateHold = false;
  /** The pong for the latest ping, waiting for the socket to drain or for the next frame written (see `write`). */
  private pendingPong: Buffer | undefined;
  /** Pings in a row, with no message between them, whose pong was replaced in `pendingPong` before it could be written. */
  private unansweredPings = 0;
  /** Whether the connection is being closed because its peer does not read (see `STALLED_PEER_GRACE`). */
  private peerStalled = false;

  /**
   * Takes over `setup.socket` for `owner`. `heartbeat` is a client's own, stopped when the socket
   * closes (a server's watches all its connections and is told through the registry).
   */
  constructor(
    private readonly owner: WebSocket,
    setup: SocketSetup,
    private readonly heartbeat: Heartbeat | undefined,
  ) {
    const { socket, settings } = setup;
    this.socket = socket;
    this.settings = settings;
    this.registry = setup.registry;
    this.admission = new SendAdmission(this, socket, settings);
    this.batch = setup.role === 'client' ? new ClientWriteBatch(socket) : new WriteBatch(socket);
    if (setup.deflate) {
      const { parameters, options } = setup.deflate;
      const deflate = new PerMessageDeflate(parameters, setup.role, options, settings.maxPayload);
      this.deflate = new DeflateSession(this.deflateHost(), deflate, !settings.skipUTF8Validation);
    }
    // The core's events come here, through permessage-deflate when agreed; the session reads the
    // connection only on those events, once it exists.
    const handler = this.deflate ? this.deflate.wrap(this, () => this.connection) : this;
    this.connection = new Connection(handler, {
      role: setup.role,
      maxPayload: settings.maxPayload,
      maxFragments: settings.maxFragments,
      messageRsvMask: setup.deflate ? RSV1 : 0,
      autoPong: settings.autoPong,
      isUtf8,
      validateUtf8: !settings.skipUTF8Validation,
      allocate: allocateUnsafe,
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
  }

  get readyState(): ReadyState {
    return this.connection.readyState;
  }

  /** Whether our close frame has been written. */
  get closeSent(): boolean {
    return this.connection.closeSent;
  }

  /** Whether the socket has been destroyed. */
  get socketDestroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Whether the application paused reading (and has not resumed it). */
  get isPaused(): boolean {
    return this.userPaused;
  }

  /** Bytes accepted and not yet handed to the operating system (the `WebSocket`'s `bufferedAmount` but refused sends). */
  get bufferedAmount(): number {
    return this.socket.writableLength + this.bufferedBeside;
  }

  get bufferedBeside(): number {
    return (
      this.batch.heldBytes +
      (this.blobs?.bytes ?? 0) +
      (this.deflate?.bufferedAmount ?? 0) +
      (this.pendingPong?.length ?? 0)
    );
  }

  /** See `WebSocket.congested`. */
  get congested(): boolean {
    const socket = this.socket;
    return (
      socket.writableNeedDrain ||
      (this.blobs?.bytes ?? 0) + (this.deflate?.bufferedAmount ?? 0) > socket.writableHighWaterMark
    );
  }

  /** Sends a message the `WebSocket` has checked, while OPEN. */
  send(data: SendData, options: SendOptions | undefined, callback: SendCallback | undefined): void {
    if (this.blobs !== undefined || data instanceof Blob) {
      this.queueSend(data, options, callback, undefined);
      return;
    }
    this.sendPayload(toPayload(data), options, callback);
  }

  /** Sends a ping or pong the `WebSocket` has checked, while OPEN and before our close frame. */
  sendControl(opcode: number, payload: Buffer | Blob, callback: SendCallback | undefined): void {
    // Behind a Blob being read, as ws orders them: the frames leave in the order they were asked for.
    if (this.blobs !== undefined || payload instanceof Blob) this.queueSend(payload, undefined, callback, opcode);
    else this.writeControl(opcode, payload, callback);
  }

  /** Starts the closing handshake, after the Blobs still being read for earlier sends. */
  close(code: number | undefined, text: string): void {
    this.connection.startClosing();
    // Blobs are still being read for earlier sends: browsers and ws send them before the close frame.
    if (this.blobs !== undefined) this.blobs.closeBehind = { code, reason: text };
    else this.sendClose(code, text);
  }

  /** Destroys the socket at once, without a closing handshake. */
  terminate(): void {
    this.connection.startClosing();
    this.socket.destroy();
  }

  pause(): void {
    this.userPaused = true;
    this.socket.pause();
  }

  resume(): void {
    this.userPaused = false;
    if (!this.inflateHold) this.socket.resume();
  }

  /** Writes already encoded frames; `false` when they cannot go now (see `WebSocket.sendFrame`). */
  sendFrame(frame: Buffer, callback: SendCallback | undefined): boolean {
    const connection = this.connection;
    if (connection.readyState !== ReadyState.OPEN || connection.midMessage || this.blobs !== undefined) return false;
    if (!this.admission.admit(frame.length, callback)) return true;
    if (this.deflate) this.deflate.afterSends(() => this.output(frame, callback), callback);
    else this.output(frame, callback);
    this.admission.written();
    return true;
  }

  /** Feeds bytes read from the socket to the protocol. */
  receive(chunk: Buffer): void {
    this.alive = true;
    this.connection.receive(chunk);
  }

  /**
   * Writes a frame the protocol sends by itself: a pong, or a close frame. A peer that sends pings
   * and never reads would have its pongs pile up in the write buffer, each a small buffer costing
   * far more memory than its bytes. RFC 6455 §5.5.3 lets an endpoint that has not yet answered
   * earlier pings answer only the most recent one: while the socket's buffer is full, the pong for
   * the latest ping waits in one slot, replacing the one before, until the socket drains or another
   * frame is written. Reading goes on (two peers streaming to each other while pinging would
   * otherwise each wait for the other to read); what bounds a flood's work is the count of pings in
   * a row, with no message between them, left unanswered: past `maxUnansweredPings` a policy
   * violation (1008). A peer busy sending data pings between its messages, and those start the
   * count again.
   */
  write(data: Uint8Array): void {
    const bytes = asBuffer(data);
    if ((bytes[0]! & 0x0f) !== Opcode.Pong || (this.pendingPong === undefined && !this.socket.writableNeedDrain)) {
      this.output(bytes, undefined);
      return;
    }
    const { maxUnansweredPings } = this.settings;
    if (this.pendingPong !== undefined && ++this.unansweredPings > maxUnansweredPings) {
      this.pendingPong = undefined;
      this.peerStalled = true;
      this.connection.fail(
        new WebSocketError(
          ErrorCode.PingFlood,
          `more than maxUnansweredPings (${maxUnansweredPings}) pings in a row while the peer does not read`,
        ),
      );
      return;
    }
    this.pendingPong = bytes;
  }

  /** A message from the peer: pings that follow it are not in a row with those before (see `write`). */
  onMessage(data: Uint8Array, isBinary: boolean): void {
    this.unansweredPings = 0;
    const buffer = asBuffer(data);
    const binary = isBinary ? this.owner.binaryType : 'nodebuffer';
    // As in ws, binary data takes the binaryType's form for every listener; text and the default
    // form cost one comparison. The event is declared with the default form, Buffer (see RawData).
    this.owner.emit('message', (binary !== 'nodebuffer' ? toBinaryType(buffer, binary) : buffer) as Buffer, isBinary);
  }

  onPing(data: Uint8Array): void {
    this.owner.emit('ping', asBuffer(data));
  }

  onPong(data: Uint8Array): void {
    this.owner.emit('pong', asBuffer(data));
  }

  /** The peer's close frame arrived (and was answered: the core is CLOSING). */
  onPeerClose(): void {
    this.finishClosingHandshake();
  }

  /** The peer broke the protocol; the core has written the close frame. */
  onProtocolError(error: WebSocketError): void {
    if (debug.enabled)
      debug('%s connection failed: %s %s (close %d)', this.connection.role, error.code, error.message, error.closeCode);
    this.failure = error;
    emitError(this.owner, error);
    this.endSocket();
    this.startCloseTimer();
  }

  /** The socket has written all it held: the waiting pong goes, the send budget is settled. */
  handleSocketDrain(): void {
    if (this.pendingPong !== undefined) this.writeWaitingPong(this.pendingPong);
    this.admission.settle(this.bufferedAmount);
    this.owner.emit('drain');
  }

  /** The peer reads too slowly to go on: see {@link SendAdmission}. */
  abandonSlowPeer(error: WebSocketError): void {
    this.peerStalled = true;
    if (this.readyState === ReadyState.OPEN) this.owner.close(CloseCode.TryAgainLater, 'send buffer full');
    // Closing already (the send budget closed it to make room): what it holds is no longer charged, so it goes after the grace too.
    else if (this.closeTimer !== undefined) this.startCloseTimer();
    // Not from inside the send: a listener that sends or closes would run in the middle of it (or of a broadcast).
    process.nextTick(() => emitError(this.owner, error));
  }

  handleSocketEnd(): void {
    // The peer closed its side: with no more input coming, close ours (the server's sockets allow half-open).
    this.connection.startClosing();
    this.endSocket();
  }

  handleSocketError(error: Error): void {
    // A reset or a write after the peer left: the close event reports 1006, the process carries on.
    this.failure ??= error;
    this.connection.startClosing();
    this.socket.destroy();
  }

  handleSocketClose(): void {
    clearTimeout(this.closeTimer);
    this.heartbeat?.stop();
    this.pendingPong = undefined;
    this.admission.settle(0);
    this.rejectQueuedSends();
    if (this.deflate === undefined) this.finishSocketClose();
    else {
      // Messages the peer sent before it closed may still be inflating, with what followed them
      // not parsed yet: they are delivered first.
      this.connection.startClosing();
      this.deflate.afterInbound(() => this.finishSocketClose());
    }
  }

  /** A send, ping or pong whose Blob has been read (see {@link BlobQueue}). */
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

  /** Every send queued behind Blobs has gone: a `close()` that waited for them goes now. */
  blobQueueDrained(close: PendingClose | undefined): void {
    this.blobs = undefined;
    this.sendCloseBehindBlobs(close);
  }

  /**
   * A Blob could not be read: as in `ws`, `'error'` is emitted and the connection closes with the
   * code given to a waiting `close()`, else 1011.
   */
  blobReadFailed(error: Error, close: PendingClose | undefined): void {
    this.blobs = undefined;
    emitError(this.owner, error);
    if (this.readyState === ReadyState.OPEN) {
      this.connection.startClosing();
      close = { code: CloseCode.InternalError, reason: 'a Blob could not be read' };
    }
    this.sendCloseBehindBlobs(close);
  }

  private sendCloseBehindBlobs(close: PendingClose | undefined): void {
    // The peer's close may have come meanwhile and been answered: the handshake is then complete.
    if (close !== undefined && !this.connection.closeSent) this.sendClose(close.code, close.reason);
  }

  /** Writes our close frame (after the messages still being compressed) and waits for the peer's. */
  private sendClose(code: number | undefined, text: string): void {
    const frame = this.connection.close(code, text);
    const finish = (): void => {
      if (frame) {
        // Nothing follows a close frame: it goes now, with what this tick batched before it,
        // rather than at the end of the tick (bufferedAmount drops at once, as in ws).
        this.output(asBuffer(frame), undefined);
        this.batch.flush();
      }
      if (this.connection.closeReceived) this.finishClosingHandshake();
      else this.startCloseTimer();
    };
    // The close frame goes after the messages still being compressed.
    if (this.deflate) this.deflate.closeAfterSends(finish);
    else finish();
  }

  /** Writes bytes to the socket, batched with the rest of this tick's (see {@link WriteBatch}), after the waiting pong. */
  private output(bytes: Buffer, callback: SendCallback | undefined): void {
    if (this.pendingPong !== undefined) this.writeWaitingPong(this.pendingPong);
    this.batch.write(bytes, callback);
  }

  /**
   * Writes the waiting `pong`, ahead of the frame about to be written if any: a link kept busy with
   * data may not drain for a long time, and the pong answers the peer's latest ping (§5.5.3). No
   * pong follows our close frame: a close written goes through `output`, after this.
   */
  private writeWaitingPong(pong: Buffer): void {
    this.pendingPong = undefined;
    this.unansweredPings = 0;
    this.output(pong, undefined);
  }

  /** Ends the socket after whatever this tick has batched. */
  private endSocket(): void {
    this.batch.flush();
    this.socket.end();
  }

  private deflateHost(): DeflateHost {
    return {
      writeFrame: (opcode, payload, fin, rsv, callback) => {
        const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
        this.writeFrame(opcode, payload, length, fin, callback, rsv);
      },
      holdReading: (hold) => {
        this.inflateHold = hold;
        if (hold) this.socket.pause();
        else if (!this.userPaused) this.socket.resume();
      },
      onInternalError: (error) => {
        emitError(this.owner, error);
        if (this.readyState === ReadyState.OPEN) this.owner.close(CloseCode.InternalError);
      },
    };
  }

  /** Both close frames have crossed: RFC 6455 §7.1.1 has the server close TCP first; the client waits for it. */
  private finishClosingHandshake(): void {
    const connection = this.connection;
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
    const { closeTimeout } = this.settings;
    if (this.peerStalled) this.startGrace(Math.min(closeTimeout, STALLED_PEER_GRACE), Date.now() + closeTimeout);
    else {
      this.closeTimer = setTimeout(() => this.socket.destroy(), closeTimeout);
      this.closeTimer.unref();
    }
  }

  /** Destroys the socket of a peer that does not read after `grace` ms, unless it read half of what was left meanwhile (see `STALLED_PEER_GRACE`). */
  private startGrace(grace: number, deadline: number): void {
    const socket = this.socket;
    const held = socket.writableLength;
    this.closeTimer = setTimeout(() => {
      // Nothing held at the start: the close frame was written, and the peer had a grace to answer it.
      if (held > 0 && socket.writableLength <= held / 2 && Date.now() + grace <= deadline)
        this.startGrace(grace, deadline);
      else socket.destroy();
    }, grace);
    this.closeTimer.unref();
  }

  private finishSocketClose(): void {
    const connection = this.connection;
    // Nothing more will be read: the pieces of a message cut short go now, not with this object.
    connection.stopReading();
    // Sends still being compressed fail while CLOSING, as in ws; the state is CLOSED only for 'close'.
    this.deflate?.close();
    connection.transportClosed();
    this.registry?.release(this.owner);
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
    this.owner.emit('close', code, Buffer.from(reason));
  }

  private sendPayload(
    payload: string | Buffer,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
  ): void {
    const binary = options?.binary ?? typeof payload !== 'string';
    const fin = options?.fin ?? true;
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const admission = this.admission;
    if (!admission.admit(length, callback)) return;
    const opcode = this.connection.nextDataOpcode(binary, fin);
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
    const maskKey = this.connection.maskKey();
    if (typeof payload === 'string' || maskKey !== undefined || length <= COPY_THRESHOLD) {
      this.output(encodeFrameBuffer(opcode, payload, length, fin, rsv, maskKey), callback);
      return;
    }
    // Large server payloads go out without a copy, header and payload in one corked write.
    if (this.pendingPong !== undefined) this.writeWaitingPong(this.pendingPong);
    const header = Buffer.allocUnsafe(frameHeaderSize(length, false));
    writeFrameHeader(header, 0, opcode, length, fin, rsv);
    this.batch.writeSeparately(header, payload, callback);
  }

  /** Writes a ping or pong, after the messages still being compressed. */
  private writeControl(opcode: number, payload: Buffer, callback: SendCallback | undefined): void {
    const frame = asBuffer(this.connection.encode(opcode, payload));
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

  private rejectQueuedSends(): void {
    this.batch.discard();
    const blobs = this.blobs;
    this.blobs = undefined;
    blobs?.cutOff();
  }
}
