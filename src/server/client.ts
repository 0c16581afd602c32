import type { IncomingMessage } from 'node:http';
import { toWireChunks, type BroadcastFlags, type WireChunks } from '../adapter/index.js';
import { DeadlineQueue, type DeadlineEntry } from '../engine/deadline-queue.js';
import {
  Decoder,
  PacketType,
  SocketIoErrorCode,
  SocketIoParseError,
  type Packet,
} from '../protocol/socket-io/index.js';
import { COMPRESSION, NO_COMPRESSION } from './broadcast-frames.js';
import { ClientSockets } from './client-sockets.js';
import { DisconnectReason } from './disconnect-reason.js';
import type { EngineConnection } from './engine-port.js';
import type { Server } from './server.js';
import type { Socket } from './socket.js';
import { createDebugLog } from '../diagnostics/debug.js';

const debug = createDebugLog('server');

/*
 * The connection's events reach their client through one pair of module-level listeners (the
 * engine calls them with the connection as `this`) rather than two bound functions per client.
 */
const clientsByConnection = new WeakMap<EngineConnection, Client>();

function onConnectionMessage(this: EngineConnection, data: string | Buffer): void {
  clientsByConnection.get(this)?.onMessage(data);
}

function onConnectionClose(this: EngineConnection, reason: string, description?: unknown): void {
  clientsByConnection.get(this)?.onEngineClose(reason, description);
}

/** How {@link Client.writeToEngine} writes: the flags of the emission, and whether the chunks are a broadcast's. */
export interface WriteOptions extends Pick<BroadcastFlags, 'volatile' | 'compress'> {
  /** The same chunks go to every recipient of a broadcast, unchanged: their frames may be shared. */
  preEncoded?: boolean;
}

/** Socket.IO protocol v5: what a refused CONNECT says; the client stays in the namespaces it has. */
const INVALID_NAMESPACE = Object.freeze({ message: 'Invalid namespace' });
const TOO_MANY_NAMESPACES = Object.freeze({ message: 'Too many namespaces' });

/**
 * @internal A client's place in its server's queue of binary packets waiting for attachments.
 * Made with the client's first binary packet and kept, so that clients that never send binary
 * data carry none, and those that do allocate no timer per packet.
 */
export class AttachmentDeadline implements DeadlineEntry {
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineAt = 0;
  deadlineQueue: DeadlineQueue<DeadlineEntry> | undefined = undefined;

  constructor(readonly client: Client) {}
}

/** @internal The queue of a server's unfinished binary packets: one timer for all, `timeout` ms after each was announced. */
export function attachmentDeadlines(timeout: number): DeadlineQueue<AttachmentDeadline> {
  return new DeadlineQueue<AttachmentDeadline>(timeout, (deadline) => deadline.client.attachmentsOverdue());
}

/**
 * One Engine.IO connection and the Socket.IO sockets multiplexed over it (one per namespace).
 * Decodes incoming messages, routes packets to namespaces, and closes the connection on a
 * malformed packet or one that is invalid in its state, leaving every other connection alone.
 *
 * Everything a message sets off runs guarded: an exception raised while serving it (by a
 * listener, a middleware, an acknowledgement callback, an adapter) closes this connection with
 * "server error" and is reported to the server's `error` listeners; no other client notices.
 */
export class Client {
  /** The Engine.IO connection. */
  readonly conn: EngineConnection;
  /** The server that accepted the connection. */
  readonly server: Server;
  private readonly decoder: Decoder;
  /**
   * The client's sockets by namespace name: every packet finds its own in one lookup, whatever the
   * number of namespaces (at most `maxNamespacesPerClient`, with those still connecting).
   */
  private readonly sockets = new ClientSockets();
  /** Namespaces whose CONNECT is being handled (middlewares may take a while); made with the first. */
  private connecting: Set<string> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private attachmentDeadline: AttachmentDeadline | undefined;
  /** Errors this client has reported: one that reaches it twice (from two places) is reported once. */
  private reported: WeakSet<object> | undefined;
  private closed = false;

  /** @internal Created by the server for each Engine.IO connection. */
  constructor(server: Server, conn: EngineConnection) {
    this.server = server;
    this.conn = conn;
    this.decoder = new Decoder(server.decoderLimits);
    clientsByConnection.set(conn, this);
    conn.on('message', onConnectionMessage);
    conn.on('close', onConnectionClose);
    // A client that never joins a namespace holds a session for nothing: close it after connectTimeout.
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (this.sockets.size === 0) this.close();
    }, server.connectTimeout);
  }

  /** Whether the Engine.IO connection is still open. */
  get isOpen(): boolean {
    return !this.closed && this.conn.readyState === 'open';
  }

  /** Bytes of binary attachments held for a packet whose other attachments have not arrived yet. */
  get pendingAttachmentBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** The HTTP request that opened the connection (see `Socket.request`). */
  get request(): IncomingMessage {
    return this.conn.request;
  }

  /** The Engine.IO session id, as the official `client.id` (the admin UI shows it). */
  get id(): string {
    return this.conn.id;
  }

  /**
   * Writes an encoded packet (its text, then its attachments); a volatile one is dropped when the
   * transport cannot take it now. With `preEncoded`, the chunks are those of a broadcast, handed
   * to every recipient: their frames are then built once and shared by all of them.
   * The signature is the official client's, for socket.io-adapter compatibility: its broadcasts
   * write through it (their `wsPreEncodedFrame` is not needed here and is ignored).
   */
  writeToEngine(chunks: WireChunks | string, opts: WriteOptions): void {
    if (typeof chunks === 'string') chunks = [chunks];
    if (opts.preEncoded === true) {
      this.deliverToEngine(chunks, opts);
      return;
    }
    if (!this.isOpen) return;
    if (opts.volatile && this.conn.writable === false) return;
    const options = opts.compress === false ? NO_COMPRESSION : COMPRESSION;
    for (const chunk of chunks) this.conn.send(chunk, options);
  }

  /** @internal Writes a packet encoded once for many clients (a broadcast), sharing its frames. */
  deliverToEngine(chunks: WireChunks, flags: BroadcastFlags): void {
    if (!this.isOpen) return;
    if (flags.volatile && this.conn.writable === false) return;
    const messages = this.server.broadcastFrames.messagesFor(chunks, flags.compress !== false);
    for (const message of messages) this.conn.sendPrepared(message);
  }

  /** Whether a binary packet is waiting for its attachments, with a deadline in the server's queue. */
  get awaitingAttachments(): boolean {
    return this.attachmentDeadline !== undefined && this.server.attachmentDeadlines.has(this.attachmentDeadline);
  }

  /** Namespaces the client is in, or whose CONNECT is being handled: what `maxNamespacesPerClient` bounds. */
  get namespaceCount(): number {
    return this.sockets.size + (this.connecting?.size ?? 0);
  }

  /** @internal A socket left its namespace. */
  remove(socket: Socket): void {
    const name = socket.nsp.name;
    if (this.sockets.get(name) === socket) this.sockets.delete(name);
  }

  /** @internal Disconnects every namespace, then closes the connection (`socket.disconnect(true)`). */
  disconnectAll(): void {
    for (const socket of this.sockets.values()) socket.disconnect();
    this.sockets.clear();
    this.close();
  }

  /** @internal Closes the connection; the sockets leave with `"forced server close"`. */
  close(): void {
    if (!this.isOpen) return;
    // Sockets learn the reason first; the engine's own "forced close" that follows is ignored.
    this.onEngineClose(DisconnectReason.ForcedServerClose);
    this.conn.close();
  }

  /**
   * @internal Contains an exception raised while serving this client: reports it (with the socket
   * it concerned, if any), then closes the connection; every socket leaves with "server error".
   * Never throws; once the connection is closed it only reports.
   */
  fail(err: unknown, socket?: Socket): void {
    // The same error may come twice (a rejection seen by two handlers): reported once per client,
    // while every client it reaches reports it (an application may share one error object).
    if (typeof err === 'object' && err !== null) {
      const reported = (this.reported ??= new WeakSet());
      if (reported.has(err)) return;
      reported.add(err);
    }
    this.server.reportError(err, socket);
    if (!this.isOpen) return;
    this.onEngineClose(DisconnectReason.ServerError);
    this.conn.close();
  }

  /** @internal A message from the connection. */
  onMessage(data: string | Buffer): void {
    let packet: Packet | undefined;
    try {
      packet = this.decoder.add(data);
    } catch (err) {
      this.onParseError(err as Error);
      return;
    }
    if (packet === undefined) {
      this.awaitAttachments();
      return;
    }
    if (this.attachmentDeadline !== undefined) this.server.attachmentDeadlines.remove(this.attachmentDeadline);
    try {
      this.onPacket(packet);
    } catch (err) {
      this.fail(err, this.sockets.get(packet.nsp));
    }
  }

  /** @internal A binary packet's attachments did not all arrive within `attachmentTimeout`. */
  attachmentsOverdue(): void {
    const timeout = this.server.attachmentDeadlines.delay;
    this.onParseError(
      new SocketIoParseError(SocketIoErrorCode.AttachmentsTimeout, `attachments not received within ${timeout} ms`),
    );
  }

  /**
   * A binary packet waits for its attachments. Its deadline runs from the packet itself: later
   * attachments do not push it back, or a client could hold the bytes by trickling them.
   */
  private awaitAttachments(): void {
    const deadline = (this.attachmentDeadline ??= new AttachmentDeadline(this));
    if (deadline.deadlineQueue === undefined) this.server.attachmentDeadlines.add(deadline);
  }

  private onPacket(packet: Packet): void {
    const socket = this.sockets.get(packet.nsp);
    if (!socket && packet.type === PacketType.Connect) {
      if (this.connecting?.has(packet.nsp)) return;
      // Refused before a dynamic namespace is looked for, so that nothing is created past the limit.
      if (this.namespaceCount >= this.server.maxNamespacesPerClient) {
        this.refuseConnect(packet.nsp, TOO_MANY_NAMESPACES);
        return;
      }
      this.connect(packet.nsp, (packet.data as Record<string, unknown> | undefined) ?? {});
      return;
    }
    if (socket && packet.type !== PacketType.Connect && packet.type !== PacketType.ConnectError) {
      socket.onPacket(packet);
      return;
    }
    // A packet for a namespace the client is not in, a second CONNECT, or a CONNECT_ERROR from a client.
    if (!socket && packet.type === PacketType.Disconnect) return;
    this.close();
  }

  /** Refuses a CONNECT to `name` with a CONNECT_ERROR; the connection stays (Socket.IO protocol v5). */
  private refuseConnect(name: string, error: Readonly<{ message: string }>): void {
    debug('connection to %s over session %s refused: %s', name, this.conn.id, error.message);
    this.writeToEngine(toWireChunks({ type: PacketType.ConnectError, nsp: name, data: error }), {});
  }

  private connect(name: string, auth: Record<string, unknown>): void {
    (this.connecting ??= new Set()).add(name);
    if (this.server.hasNamespace(name)) {
      this.join(name, auth);
      return;
    }
    // The server runs this guarded: a matcher may answer from a callback of its own.
    this.server.checkDynamicNamespace(
      name,
      auth,
      (found) => {
        if (found && this.isOpen) {
          this.join(name, auth);
          return;
        }
        this.connected(name);
        this.refuseConnect(name, INVALID_NAMESPACE);
      },
      (err) => this.fail(err),
    );
  }

  /** Adds the client to namespace `name` (created by now); a failure on the way closes the connection. */
  private join(name: string, auth: Record<string, unknown>): void {
    const joined = (socket: Socket): void => {
      this.sockets.set(name, socket);
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    };
    void this.server
      .of(name)
      .add(this, auth, joined)
      .then(
        () => this.connected(name),
        (err: unknown) => {
          this.connected(name);
          this.fail(err);
        },
      );
  }

  /** The CONNECT of `name` has been handled, accepted or not. */
  private connected(name: string): void {
    const connecting = this.connecting;
    if (connecting === undefined) return;
    connecting.delete(name);
    if (connecting.size === 0) this.connecting = undefined;
  }

  private onParseError(err: Error): void {
    for (const socket of this.sockets.values()) {
      // The client is going anyway: an `error` listener that throws is reported, the rest still runs.
      try {
        socket.onError(err);
      } catch (thrown) {
        this.server.reportError(thrown, socket);
      }
    }
    if (!this.isOpen) return;
    this.onEngineClose(DisconnectReason.ParseError);
    this.conn.close();
  }

  /** @internal The connection closed (or is being closed with `reason`). */
  onEngineClose(reason: string, description?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    clientsByConnection.delete(this.conn);
    this.conn.off('message', onConnectionMessage);
    this.conn.off('close', onConnectionClose);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.attachmentDeadline !== undefined) this.server.attachmentDeadlines.remove(this.attachmentDeadline);
    for (const socket of this.sockets.values()) socket.onClose(reason, description);
    this.sockets.clear();
    this.connecting = undefined;
    this.decoder.reset();
  }
}
