import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ENGINE_IO_PROTOCOL,
  EngineErrorCode,
  PacketType,
  openPacket,
  type EngineIOParseError,
  type Packet,
} from '../protocol/engine-io/index.js';
import type { SendBudgetHolder } from '../ws/send-budget.js';
import { SESSION_ALLOWANCE, TransportName, type ResolvedEngineOptions } from './options.js';
import { PollingTransport, respondError } from './polling-transport.js';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- for the {@link} in `request`'s TSDoc.
import type { HandshakeRequest } from './handshake-request.js';
import { packetDataSize, type PreparedMessage } from './prepared-message.js';
import { TransportError, type EngineTransport, type Transport, type WrittenCallback } from './transport.js';
import { DeadlineQueue, type DeadlineEntry } from './deadline-queue.js';
import { UpgradeProbe } from './upgrade-probe.js';
import { createDebugLog } from '../diagnostics/debug.js';

const debug = createDebugLog('engine');

/** Why a session closed, worded as the reference Engine.IO server words it. */
export const CloseReason = {
  /** The client closed the connection or sent a `close` packet. */
  TransportClose: 'transport close',
  /**
   * The connection failed: a reset, an aborted poll, overlapping requests, a body over the limit,
   * or a client that reads too slowly (past `connectionLimits`).
   */
  TransportError: 'transport error',
  /** No `pong` came within `pingTimeout` of a ping. */
  PingTimeout: 'ping timeout',
  /** The client sent something that is not Engine.IO. */
  ParseError: 'parse error',
  /** The application called {@link EngineSocket.close}. */
  ForcedClose: 'forced close',
  /** {@link EngineServer.close} closed every session. */
  ServerShuttingDown: 'server shutting down',
} as const;

/** One of the close reasons. */
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

/** The states of a session, in order. */
export type EngineSocketState = 'opening' | 'open' | 'closing' | 'closed';

/** Events of an {@link EngineSocket}. */
export interface EngineSocketEvents {
  /** A message from the client: a string for text, a Buffer for binary. */
  message: [data: string | Buffer];
  /** The session is over; `description` carries the underlying error, if any. Emitted once. */
  close: [reason: CloseReason, description?: unknown];
  /** The client probed a WebSocket to upgrade to: the transport it would move to. */
  upgrading: [transport: EngineTransport];
  /** The session now runs over this transport (its `name` says which). */
  upgrade: [transport: EngineTransport];
  /**
   * The buffered packets have been handed to the transport. Only packets that waited are
   * buffered: over polling, until the next poll; over WebSocket, none (each is written at once).
   */
  drain: [];
  /** The client answered a ping. */
  heartbeat: [];
  /** The transport failed (the session then closes with "transport error"). Only emitted when listened to. */
  error: [error: Error];
  /** Any packet from the client, before it is acted on. */
  packet: [packet: Packet];
  /**
   * Any packet queued for the client, with the options it was sent with (as the reference server
   * shows them: `packet.options.compress`). A copy made for the listeners: changing it changes
   * nothing sent.
   */
  packetCreate: [packet: CreatedPacket];
  /** The data of a message from the client, just before `message` (the reference server's alias of it). */
  data: [data: string | Buffer];
  /** The buffered packets about to be handed to the transport, just before `drain`. */
  flush: [packets: readonly Packet[]];
}

/** A packet as `packetCreate` reports it: the packet and the options it was sent with. */
export type CreatedPacket = Packet & {
  /** `compress`: whether permessage-deflate or HTTP compression may compress it. */
  readonly options: { readonly compress: boolean };
};

/** Send options of {@link EngineSocket.send}. */
export interface EngineSendOptions {
  /** Allow permessage-deflate to compress this message. @default true */
  compress?: boolean;
}

/** @internal Session settings an {@link EngineServer} hands each socket. */
export interface SessionSettings {
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly upgradeTimeout: number;
  readonly maxPayload: number;
  /** What a client that reads too slowly may make its session hold. */
  readonly connectionLimits: ResolvedEngineOptions['connectionLimits'];
  /** Transports a polling session may upgrade to. */
  readonly upgrades: readonly TransportName[];
  /** Called as a session closes, before its `close` event, so the server forgets it. */
  readonly release: (socket: EngineSocket) => void;
  /** Sessions waiting to be pinged (`pingInterval`) and sessions waiting for a pong (`pingTimeout`). */
  readonly heartbeats: { readonly ping: DeadlineQueue<EngineSocket>; readonly pong: DeadlineQueue<EngineSocket> };
}

/** @internal The heartbeat queues of a server's sessions (Engine.IO protocol v4, "Heartbeat"). */
export function heartbeatQueues(pingInterval: number, pingTimeout: number): SessionSettings['heartbeats'] {
  return {
    ping: new DeadlineQueue<EngineSocket>(pingInterval, (socket) => socket.pingDue()),
    pong: new DeadlineQueue<EngineSocket>(pingTimeout, (socket) => socket.pongOverdue()),
  };
}

/** The events reporting single packets, batches or their data, which nothing needs to work. */
const PACKET_EVENTS: ReadonlySet<string | symbol> = new Set(['packet', 'packetCreate', 'data', 'flush']);

/**
 * Notes when a session gets its first listener to one of {@link PACKET_EVENTS}: until then sends
 * and receipts skip those events (and the copy `packetCreate` hands out), which a broadcast would
 * otherwise look up once per recipient.
 */
function onNewListener(this: EngineSocket, event: string | symbol): void {
  if (PACKET_EVENTS.has(event)) this.packetsWatched = true;
}

// Not `implements TransportListener, UpgradingSession, DeadlineEntry`: the members those need are
// internal, so `stripInternal` leaves them out of the published declarations, where the clause
// would then fail to type-check. `transport.listener = this`, `new UpgradeProbe(this, …)` and the `DeadlineQueue`
// type parameter check the shape.
/**
 * One Engine.IO session: a client, identified by its `sid`, over whichever transport it currently
 * uses. It sends the `open` packet, keeps the heartbeat, batches outgoing packets, carries the
 * session across an upgrade from polling to WebSocket without losing or reordering packets, and
 * reports incoming messages.
 *
 * @example
 * engine.on('connection', (socket) => {
 *   socket.on('message', (data) => socket.send(data)); // echo, text or binary
 *   socket.on('close', (reason) => console.log(socket.id, 'closed:', reason));
 * });
 */
export class EngineSocket extends EventEmitter<EngineSocketEvents> {
  /** The session id (`sid`). */
  readonly id: string;
  /**
   * The request that opened the session: the `IncomingMessage` itself once the engine has
   * middlewares (`engine.use()`), else a lighter copy of it (see {@link HandshakeRequest}).
   */
  readonly request: IncomingMessage;
  /** The Engine.IO protocol revision of the session. */
  readonly protocol: typeof ENGINE_IO_PROTOCOL = ENGINE_IO_PROTOCOL;
  /** The client's address, as seen when the session opened. */
  readonly remoteAddress: string;

  private state: EngineSocketState = 'opening';
  private current: Transport;
  private readonly settings: SessionSettings;
  /*
   * Packets waiting for the transport, created when needed: a WebSocket session writes each packet
   * as it comes, so these stay empty for its whole life.
   */
  private writeBuffer: Packet[] | undefined;
  /*
   * The bytes of data those packets hold. Past `SESSION_ALLOWANCE` the client is slow and all of
   * them are charged to the send budget, until they are flushed or the session closes.
   */
  private bufferedBytes = 0;
  /** What the send budget charges for those bytes, made the first time the client falls behind. */
  private budgetHolder: SendBudgetHolder | undefined;
  private compressBuffer = false;
  private pendingCallbacks: WrittenCallback[] | undefined;
  private flushScheduled = false;
  /*
   * The heartbeat: the session waits in the server's ping queue until its next ping, then in its
   * pong queue until the pong is overdue. These are that queue's links (see DeadlineQueue).
   */
  /** @internal */ deadlinePrev: DeadlineEntry | undefined;
  /** @internal */ deadlineNext: DeadlineEntry | undefined;
  /** @internal */ deadlineAt = 0;
  /** @internal */ deadlineQueue: DeadlineQueue<DeadlineEntry> | undefined;
  private pingTimeoutExtended = false;
  private probe: UpgradeProbe | undefined;
  private upgraded = false;
  /** The reason to report once the transport this socket is closing has closed. */
  private closeReason: CloseReason | undefined;
  /** @internal Whether anyone has listened to `packet`, `packetCreate`, `data` or `flush` (see `onNewListener`). */
  packetsWatched = false;

  /** @internal Sessions are created by {@link EngineServer}. */
  constructor(id: string, request: IncomingMessage, transport: Transport, settings: SessionSettings) {
    super();
    // 'newListener' is Node's own event, outside the typed event map.
    (this as EventEmitter).on('newListener', onNewListener);
    this.id = id;
    this.request = request;
    this.remoteAddress = request.socket.remoteAddress ?? '';
    this.settings = settings;
    this.current = transport;
    transport.listener = this;
    this.state = 'open';
    this.sendPacket(
      openPacket({
        sid: id,
        upgrades: transport.name === TransportName.Polling ? settings.upgrades : [],
        pingInterval: settings.pingInterval,
        pingTimeout: settings.pingTimeout,
        maxPayload: settings.maxPayload,
      }),
    );
    settings.heartbeats.ping.add(this);
  }

  /** The name of the transport the session currently uses. */
  get transportName(): TransportName {
    return this.current.name;
  }

  /**
   * The transport the session currently uses: its `name` and whether it takes packets now, as
   * the reference server's `socket.transport` shows them.
   *
   * @example
   * io.on('connection', (socket) => {
   *   console.log(socket.conn.transport.name); // 'polling' or 'websocket'
   *   socket.conn.once('upgrade', (transport) => console.log('now over', transport.name));
   * });
   */
  get transport(): EngineTransport {
    return this.current;
  }

  /** `'open'` until the session starts closing, `'closed'` once the `close` event has fired. */
  get readyState(): EngineSocketState {
    return this.state;
  }

  /**
   * Whether a packet sent now would go out at once rather than wait behind others (in the
   * session's buffer, for the next poll, or behind earlier writes the network has not taken yet).
   * Volatile packets are dropped when it is false.
   */
  get writable(): boolean {
    return this.state === 'open' && this.writeBuffer === undefined && this.current.writable && !this.current.congested;
  }

  /**
   * Bytes of packet data (text by its UTF-8 length) waiting in the session for its transport: over
   * polling, for the next poll; during an upgrade, for the new transport. Always 0 over WebSocket,
   * whose own buffer holds what it has not written. At most `connectionLimits.maxBufferedAmount`.
   */
  get bufferedAmount(): number {
    return this.bufferedBytes;
  }

  /** @internal Whether the session has closed. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Sends one message packet. Over WebSocket it is written at once (the frames of one tick leave
   * in one system call); over polling, packets sent in the same tick go out in one response.
   * `callback` runs once the packet has been written to the transport. Ignored once the session is
   * closing.
   *
   * @example
   * socket.send('hello');
   * socket.send(Buffer.from([1, 2, 3]), { compress: false }, () => console.log('written'));
   */
  send(data: string | Buffer, options?: EngineSendOptions, callback?: () => void): void {
    this.sendPacket({ type: PacketType.Message, data }, options?.compress ?? true, callback);
  }

  /**
   * Sends a message encoded once for many sessions (see {@link PreparedMessage}); a broadcast
   * costs each WebSocket session one write of shared bytes.
   */
  sendPrepared(message: PreparedMessage, callback?: () => void): void {
    if (this.state !== 'open') return;
    if (this.packetsWatched) this.emit('packetCreate', { ...message.packet, options: { compress: message.compress } });
    if (this.writeBuffer === undefined && this.current.immediate && this.current.writable) {
      this.current.sendPrepared(message, callback);
      return;
    }
    this.buffer(message.packet, message.dataSize, message.compress, callback);
  }

  /**
   * Closes the session once the packets already buffered are written; `close` is emitted with
   * "forced close".
   */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    if (this.writeBuffer !== undefined) {
      this.once('drain', () => this.closeTransport(CloseReason.ForcedClose));
      this.scheduleFlush();
      return;
    }
    this.closeTransport(CloseReason.ForcedClose);
  }

  /** @internal Closes at once, without waiting for the client (server shutdown). */
  shutdown(reason: CloseReason): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.closeReason = reason;
    this.current.discard();
    this.current.close();
  }

  /** @internal Hands a polling request of this session to its transport. */
  handlePollingRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!(this.current instanceof PollingTransport)) {
      respondError(res, 400, EngineErrorCode.BadRequest);
      return;
    }
    this.current.onRequest(req, res);
  }

  /** @internal Whether a WebSocket may still be offered to this session as an upgrade. */
  get canUpgrade(): boolean {
    return (
      this.state === 'open' && this.probe === undefined && !this.upgraded && this.current.name === TransportName.Polling
    );
  }

  /**
   * @internal Tries `candidate` as the session's new transport (Engine.IO protocol v4, "Upgrade"):
   * answers the `probe` ping, ends the held poll with a noop, and switches on the `upgrade` packet.
   */
  upgradeTo(candidate: Transport): void {
    this.probe = new UpgradeProbe(this, candidate, this.settings.upgradeTimeout);
  }

  /** @internal */
  probeAnswered(candidate: Transport): void {
    this.emit('upgrading', candidate);
    this.endPollForUpgrade();
  }

  /** @internal */
  probeEnded(): void {
    this.probe = undefined;
  }

  /** @internal */
  upgradeRequested(candidate: Transport): void {
    const previous = this.current;
    this.upgraded = true;
    // Let go of the old transport before it closes, so its close does not end the session.
    previous.listener = undefined;
    previous.discard();
    previous.close();
    this.current = candidate;
    candidate.listener = this;
    // A ping that went out on the old transport may have its pong come back on the new one late.
    if (this.awaitingPong) this.settings.heartbeats.pong.add(this);
    debug('session %s upgraded from %s to %s', this.id, previous.name, candidate.name);
    this.emit('upgrade', candidate);
    this.flush();
    // Closing already (the application's close, or a client too slow): the new transport closes too.
    if (this.state === 'closing') this.closeTransport(this.closeReason ?? CloseReason.ForcedClose);
  }

  /** Protocol v4, "Upgrade": the server MUST end a pending GET with a noop so the client can pause. */
  private endPollForUpgrade(): void {
    if (this.probe?.probed === true && this.current.name === TransportName.Polling && this.current.writable) {
      this.current.send([{ type: PacketType.Noop }], false);
    }
  }

  /** @internal */
  onTransportPacket(packet: Packet): void {
    if (this.state !== 'open') return;
    if (this.packetsWatched) this.emit('packet', packet);
    // Any traffic while a pong is awaited proves the client alive, but extends the wait only once:
    // a large payload may delay the pong behind it (as the reference server allows).
    if (this.awaitingPong && !this.pingTimeoutExtended && packet.type !== PacketType.Pong) {
      this.settings.heartbeats.pong.add(this);
      this.pingTimeoutExtended = true;
    }
    switch (packet.type) {
      case PacketType.Message: {
        const data = typeof packet.data === 'string' ? packet.data : asBuffer(packet.data);
        if (this.packetsWatched) this.emit('data', data);
        this.emit('message', data);
        break;
      }
      case PacketType.Pong:
        if (!this.awaitingPong) break;
        this.settings.heartbeats.ping.add(this);
        this.emit('heartbeat');
        break;
      case PacketType.Ping:
        // Protocol v4, "Heartbeat": only the server pings; a client ping (outside an upgrade probe) is an error.
        this.onClose(CloseReason.TransportError, new Error('invalid heartbeat direction'));
        break;
      default:
        // open, upgrade and noop mean nothing on an established transport.
        break;
    }
  }

  /** @internal */
  onTransportReady(): void {
    this.flush();
    this.endPollForUpgrade();
  }

  /** @internal */
  onTransportError(error: TransportError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.onClose(CloseReason.TransportError, error);
  }

  /** @internal */
  onTransportParseError(error: EngineIOParseError): void {
    this.onClose(CloseReason.ParseError, error);
  }

  /** @internal */
  onTransportClose(): void {
    this.onClose(this.closeReason ?? CloseReason.TransportClose);
  }

  /** Whether a ping is out and its pong not back yet. */
  private get awaitingPong(): boolean {
    return this.settings.heartbeats.pong.has(this);
  }

  /** @internal `pingInterval` has passed since the open packet or the last pong: ping. */
  pingDue(): void {
    this.pingTimeoutExtended = false;
    this.settings.heartbeats.pong.add(this);
    this.sendPacket({ type: PacketType.Ping });
  }

  /** @internal No pong within `pingTimeout` of the ping. */
  pongOverdue(): void {
    this.onClose(CloseReason.PingTimeout);
  }

  private sendPacket(packet: Packet, compress = true, callback?: WrittenCallback): void {
    if (this.state !== 'open') return;
    if (this.packetsWatched) this.emit('packetCreate', { ...packet, options: { compress } });
    if (this.writeBuffer === undefined && this.current.immediate && this.current.writable) {
      this.current.send([packet], compress, callback);
      return;
    }
    this.buffer(packet, packetDataSize(packet), compress, callback);
  }

  /**
   * Keeps a packet whose data weighs `size` bytes for the next batch: the next poll, or the
   * transport an upgrade moves to. A client that keeps up costs an addition and a comparison.
   */
  private buffer(packet: Packet, size: number, compress: boolean, callback: WrittenCallback | undefined): void {
    const held = this.bufferedBytes + size;
    if (held > SESSION_ALLOWANCE && !this.admitSlow(held)) return;
    this.bufferedBytes = held;
    (this.writeBuffer ??= []).push(packet);
    if (compress) this.compressBuffer = true;
    if (callback !== undefined) (this.pendingCallbacks ??= []).push(callback);
    this.scheduleFlush();
  }

  /**
   * The client holds more than its allowance with this packet: charges all it would hold, `held`
   * bytes, to the send budget, as a slow WebSocket is charged (the budget closes the connections
   * holding the most to make room, this session's among them). `false`, and the session fails,
   * when a client that was slow already would pass `maxBufferedAmount`, or would hold the most of
   * a full budget.
   */
  private admitSlow(held: number): boolean {
    const { maxBufferedAmount, sendBudget } = this.settings.connectionLimits;
    // As for a WebSocket, both limits apply to what is already held: a session that has kept up takes this packet.
    const keptUp = this.bufferedBytes <= SESSION_ALLOWANCE;
    if (!keptUp && held > maxBufferedAmount)
      return this.refuseSend(`send would pass maxBufferedAmount (${maxBufferedAmount} bytes)`);
    this.budgetHolder ??= {
      evicted: () =>
        this.refuseSend(
          `the send budget (${sendBudget.limit} bytes across slow connections) was full and this client held the most`,
        ),
    };
    return (
      sendBudget.charge(this.budgetHolder, held, keptUp) ||
      this.refuseSend(
        `send would pass the send budget (${sendBudget.limit} bytes across slow connections) and this client would hold the most`,
      )
    );
  }

  /**
   * The client reads too slowly to go on: what the session holds is let go of at once, and it
   * closes with "transport error" (a `TransportError` "send buffer full" as description) once the
   * current send has returned, so that no listener runs in the middle of it, or of a broadcast.
   */
  private refuseSend(detail: string): false {
    this.state = 'closing';
    this.closeReason = CloseReason.TransportError;
    this.releaseBuffer();
    const error = new TransportError('send buffer full', detail);
    process.nextTick(() => {
      if (!this.closed) this.onTransportError(error);
    });
    return false;
  }

  /** Empties the buffer; its bytes leave the send budget. */
  private releaseBuffer(): void {
    if (this.bufferedBytes > SESSION_ALLOWANCE) this.settings.connectionLimits.sendBudget.release(this.budgetHolder!);
    this.bufferedBytes = 0;
    this.writeBuffer = undefined;
    this.pendingCallbacks = undefined;
    this.compressBuffer = false;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Everything sent before the current job's microtasks run leaves in one batch (one poll response).
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.writeBuffer;
    if (this.state === 'closed' || !this.current.writable || batch === undefined) return;
    const callbacks = this.pendingCallbacks;
    const compress = this.compressBuffer;
    this.releaseBuffer();
    if (this.packetsWatched) this.emit('flush', batch);
    this.current.send(batch, compress, callbacks && (() => callbacks.forEach((callback) => callback())));
    this.emit('drain');
  }

  private closeTransport(reason: CloseReason): void {
    this.closeReason = reason;
    this.current.close();
  }

  private onClose(reason: CloseReason, description?: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.deadlineQueue?.remove(this);
    this.probe?.fail();
    this.releaseBuffer();
    this.current.listener = undefined;
    // The session is over: a held poll still gets the close packet, but nothing waits for another.
    this.current.discard();
    this.current.close();
    this.settings.release(this);
    debug('session %s closed: %s', this.id, reason);
    this.emit('close', reason, description);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
