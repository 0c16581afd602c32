import { toWireChunks, type BroadcastFlags, type WireChunks } from '../adapter/index.js';
import { Decoder, PacketType, type Packet } from '../protocol/socket-io/index.js';
import { DisconnectReason } from './disconnect-reason.js';
import type { EngineConnection } from './engine-port.js';
import type { Server } from './server.js';
import type { Socket } from './socket.js';

// Shared per-write options: the broadcast path allocates nothing per recipient.
const COMPRESSION = Object.freeze({ compress: true });
const NO_COMPRESSION = Object.freeze({ compress: false });

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
  private readonly sockets = new Map<string, Socket>();
  private readonly nsps = new Map<string, Socket>();
  private readonly connecting = new Set<string>();
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  /** @internal Created by the server for each Engine.IO connection. */
  constructor(server: Server, conn: EngineConnection) {
    this.server = server;
    this.conn = conn;
    this.decoder = new Decoder({ maxAttachments: server.maxAttachments, maxNestingDepth: server.maxNestingDepth });
    this.onMessage = this.onMessage.bind(this);
    this.onEngineClose = this.onEngineClose.bind(this);
    conn.on('message', this.onMessage);
    conn.on('close', this.onEngineClose);
    // A client that never joins a namespace holds a session for nothing: close it after connectTimeout.
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (this.nsps.size === 0) this.close();
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

  /** @internal A socket left its namespace. */
  remove(socket: Socket): void {
    if (this.sockets.get(socket.id) !== socket) return;
    this.sockets.delete(socket.id);
    this.nsps.delete(socket.nsp.name);
  }

  /** @internal Disconnects every namespace, then closes the connection (`socket.disconnect(true)`). */
  disconnectAll(): void {
    for (const socket of [...this.sockets.values()]) socket.disconnect();
    this.sockets.clear();
    this.nsps.clear();
    this.close();
  }

  /** @internal Closes the connection; the sockets leave with `"forced server close"`. */
  close(): void {
    if (!this.isOpen) return;
    // Sockets learn the reason first; the engine's own "forced close" that follows is ignored.
    this.onEngineClose(DisconnectReason.ForcedServerClose);
    this.conn.close();
  }

  private onMessage(data: string | Buffer): void {
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
    const socket = this.nsps.get(packet.nsp);
    if (!socket && packet.type === PacketType.Connect) {
      if (this.connecting.has(packet.nsp)) return;
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

  private connect(name: string, auth: Record<string, unknown>): void {
    this.connecting.add(name);
    const join = (namespaceName: string): void => {
      const nsp = this.server.of(namespaceName);
      void nsp
        .add(this, auth, (socket) => {
          this.sockets.set(socket.id, socket);
          this.nsps.set(name, socket);
          if (this.connectTimer) clearTimeout(this.connectTimer);
          this.connectTimer = undefined;
        })
        .finally(() => this.connecting.delete(name));
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
      this.connecting.delete(name);
      if (!this.isOpen) return;
      // Socket.IO protocol v5: an unknown namespace is refused with CONNECT_ERROR, the connection stays.
      this.writeToEngine(
        toWireChunks({ type: PacketType.ConnectError, nsp: name, data: { message: 'Invalid namespace' } }),
        {},
      );
    });
  }

  private onParseError(err: Error): void {
    for (const socket of this.sockets.values()) socket.onError(err);
    if (!this.isOpen) return;
    this.onEngineClose(DisconnectReason.ParseError);
    this.conn.close();
  }

  private onEngineClose(reason: string, description?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.off('message', this.onMessage);
    this.conn.off('close', this.onEngineClose);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    for (const socket of [...this.sockets.values()]) socket.onClose(reason, description);
    this.sockets.clear();
    this.nsps.clear();
    this.decoder.reset();
  }
}
