import { toWireChunks, type BroadcastFlags, type WireChunks } from '../adapter/index.js';
import { PreparedMessage } from '../engine/index.js';
import { Decoder, PacketType, type Packet } from '../protocol/socket-io/index.js';
import { DisconnectReason } from './disconnect-reason.js';
import type { EngineConnection } from './engine-port.js';
import type { Server } from './server.js';
import type { Socket } from './socket.js';

// Shared per-write options: the broadcast path allocates nothing per recipient.
const COMPRESSION = Object.freeze({ compress: true });
const NO_COMPRESSION = Object.freeze({ compress: false });

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

/*
 * A broadcast hands the same wire chunks to every recipient in turn, so the messages prepared for
 * the first recipient serve all the others: each WebSocket client then writes the same frame
 * bytes. One entry is enough, and it is let go of once the current job is done.
 */
let preparedFor: WireChunks | undefined;
let preparedCompressed = false;
let prepared: PreparedMessage[] = [];

function preparedMessages(chunks: WireChunks, compress: boolean): PreparedMessage[] {
  if (preparedFor === chunks && preparedCompressed === compress && samePayloads(prepared, chunks)) return prepared;
  if (preparedFor === undefined) queueMicrotask(forgetPrepared);
  preparedFor = chunks;
  preparedCompressed = compress;
  const options = compress ? COMPRESSION : NO_COMPRESSION;
  prepared = chunks.map((chunk) => new PreparedMessage(chunk, options));
  return prepared;
}

/** Whether `messages` still carry `chunks` (an adapter may reuse one array for the next packet). */
function samePayloads(messages: readonly PreparedMessage[], chunks: WireChunks): boolean {
  if (messages.length !== chunks.length) return false;
  for (let i = 0; i < chunks.length; i++) if (messages[i]!.packet.data !== chunks[i]) return false;
  return true;
}

function forgetPrepared(): void {
  preparedFor = undefined;
  prepared = [];
}

/**
 * A copy of `items` that holds exactly them. Arrays built by pushing (spread and filter included)
 * reserve room for more, which every idle client would carry; these lists rarely change.
 */
function exactly<T>(items: readonly T[]): T[] {
  const copy = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) copy[i] = items[i]!;
  return copy;
}

/**
 * One Engine.IO connection and the Socket.IO sockets multiplexed over it (one per namespace).
 * Decodes incoming messages, routes packets to namespaces, and closes the connection on a
 * malformed packet or one that is invalid in its state, leaving every other connection alone.
 */
export class Client {
  /** The Engine.IO connection. */
  readonly conn: EngineConnection;
  /** The server that accepted the connection. */
  readonly server: Server;
  private readonly decoder: Decoder;
  /**
   * The client's sockets, one per namespace. A list rather than a map: a client joins one or a few
   * namespaces, and an idle client should cost little memory.
   */
  private sockets: Socket[] = exactly([]);
  /** Namespaces whose CONNECT is being handled (middlewares may take a while). */
  private connecting: string[] | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
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
      if (this.sockets.length === 0) this.close();
    }, server.connectTimeout);
  }

  /** Whether the Engine.IO connection is still open. */
  get isOpen(): boolean {
    return !this.closed && this.conn.readyState === 'open';
  }

  /** @internal Writes an encoded packet; a volatile one is dropped when the transport cannot take it now. */
  writeToEngine(chunks: WireChunks, flags: BroadcastFlags): void {
    if (!this.isOpen) return;
    if (flags.volatile && this.conn.writable === false) return;
    const options = flags.compress === false ? NO_COMPRESSION : COMPRESSION;
    for (const chunk of chunks) this.conn.send(chunk, options);
  }

  /** @internal Writes a packet encoded once for many clients (a broadcast), sharing its frames. */
  deliverToEngine(chunks: WireChunks, flags: BroadcastFlags): void {
    if (!this.isOpen) return;
    if (flags.volatile && this.conn.writable === false) return;
    const messages = preparedMessages(chunks, flags.compress !== false);
    for (let i = 0; i < messages.length; i++) this.conn.sendPrepared(messages[i]!);
  }

  /** @internal A socket left its namespace. */
  remove(socket: Socket): void {
    if (this.sockets.includes(socket)) this.sockets = exactly(this.sockets.filter((other) => other !== socket));
  }

  /** @internal Disconnects every namespace, then closes the connection (`socket.disconnect(true)`). */
  disconnectAll(): void {
    for (const socket of [...this.sockets]) socket.disconnect();
    this.sockets = exactly([]);
    this.close();
  }

  /** @internal Closes the connection; the sockets leave with `"forced server close"`. */
  close(): void {
    if (!this.isOpen) return;
    // Sockets learn the reason first; the engine's own "forced close" that follows is ignored.
    this.onEngineClose(DisconnectReason.ForcedServerClose);
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
    if (packet) this.onPacket(packet);
  }

  private onPacket(packet: Packet): void {
    const socket = this.socketIn(packet.nsp);
    if (!socket && packet.type === PacketType.Connect) {
      if (this.connecting?.includes(packet.nsp)) return;
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

  private socketIn(namespace: string): Socket | undefined {
    for (const socket of this.sockets) if (socket.nsp.name === namespace) return socket;
    return undefined;
  }

  private connect(name: string, auth: Record<string, unknown>): void {
    this.connecting = exactly([...(this.connecting ?? []), name]);
    const join = (namespaceName: string): void => {
      const nsp = this.server.of(namespaceName);
      void nsp
        .add(this, auth, (socket) => {
          this.sockets = exactly([...this.sockets, socket]);
          if (this.connectTimer) clearTimeout(this.connectTimer);
          this.connectTimer = undefined;
        })
        .finally(() => this.connected(name));
    };
    if (this.server.hasNamespace(name)) {
      join(name);
      return;
    }
    this.server.checkDynamicNamespace(name, auth, (found) => {
      if (found && this.isOpen) {
        join(name);
        return;
      }
      this.connected(name);
      if (!this.isOpen) return;
      // Socket.IO protocol v5: an unknown namespace is refused with CONNECT_ERROR, the connection stays.
      this.writeToEngine(
        toWireChunks({ type: PacketType.ConnectError, nsp: name, data: { message: 'Invalid namespace' } }),
        {},
      );
    });
  }

  /** The CONNECT of `name` has been handled, accepted or not. */
  private connected(name: string): void {
    const connecting = this.connecting;
    if (connecting === undefined) return;
    const rest = connecting.filter((other) => other !== name);
    this.connecting = rest.length === 0 ? undefined : exactly(rest);
  }

  private onParseError(err: Error): void {
    for (const socket of [...this.sockets]) socket.onError(err);
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
    for (const socket of [...this.sockets]) socket.onClose(reason, description);
    this.sockets = exactly([]);
    this.decoder.reset();
  }
}
