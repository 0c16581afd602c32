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
import { TransportName } from './options.js';
import { PollingTransport, respondError } from './polling-transport.js';
import type { Transport, TransportError } from './transport.js';

/** Why a session closed, worded as the reference Engine.IO server words it. */
export const CloseReason = {
  /** The client closed the connection or sent a `close` packet. */
  TransportClose: 'transport close',
  /** The connection failed: a reset, an aborted poll, overlapping requests, a body over the limit. */
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
  /** The client probed a WebSocket to upgrade to. */
  upgrading: [transport: TransportName];
  /** The session now runs over the named transport. */
  upgrade: [transport: TransportName];
  /** The buffered packets have been handed to the transport. */
  drain: [];
  /** The client answered a ping. */
  heartbeat: [];
  /** The transport failed (the session then closes with "transport error"). Only emitted when listened to. */
  error: [error: Error];
  /** Any packet from the client, before it is acted on. */
  packet: [packet: Packet];
  /** Any packet queued for the client. */
  packetCreate: [packet: Packet];
}

/** Send options of {@link EngineSocket.send}. */
export interface EngineSendOptions {
  /** Allow permessage-deflate to compress this message. @default true */
  compress?: boolean;
}

/** Session settings an {@link EngineServer} hands each socket. */
export interface SessionSettings {
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly upgradeTimeout: number;
  readonly maxPayload: number;
  /** Transports a polling session may upgrade to. */
  readonly upgrades: readonly TransportName[];
}

type Callback = () => void;

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
  /** The request that opened the session. */
  readonly request: IncomingMessage;
  /** The Engine.IO protocol revision of the session. */
  readonly protocol: typeof ENGINE_IO_PROTOCOL = ENGINE_IO_PROTOCOL;
  /** The client's address, as seen when the session opened. */
  readonly remoteAddress: string;

  private state: EngineSocketState = 'opening';
  private transport: Transport;
  private detachTransport: Callback = () => {};
  private readonly settings: SessionSettings;
  private writeBuffer: Packet[] = [];
  private compressBuffer = false;
  private pendingCallbacks: Callback[] = [];
  /** Callbacks of each batch handed to the transport, in order; the transport's `drain` releases one. */
  private sentCallbacks: Callback[][] = [];
  private flushScheduled = false;
  private pingIntervalTimer: NodeJS.Timeout | undefined;
  private pingTimeoutTimer: NodeJS.Timeout | undefined;
  private pingTimeoutExtended = false;
  private upgradeState: 'none' | 'upgrading' | 'probed' | 'upgraded' = 'none';
  private cancelUpgrade: Callback | undefined;
  /** The reason to report once the transport this socket is closing has closed. */
  private closeReason: CloseReason | undefined;

  /** @internal Sessions are created by {@link EngineServer}. */
  constructor(id: string, request: IncomingMessage, transport: Transport, settings: SessionSettings) {
    super();
    this.id = id;
    this.request = request;
    this.remoteAddress = request.socket.remoteAddress ?? '';
    this.settings = settings;
    this.transport = transport;
    this.attach(transport);
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
    this.schedulePing();
  }

  /** The name of the transport the session currently uses. */
  get transportName(): TransportName {
    return this.transport.name;
  }

  /** `'open'` until the session starts closing, `'closed'` once the `close` event has fired. */
  get readyState(): EngineSocketState {
    return this.state;
  }

  /** Whether a packet sent now would be written at once rather than buffered. */
  get writable(): boolean {
    return this.state === 'open' && this.transport.writable;
  }

  /**
   * Sends one message packet. Packets sent in the same tick go out together: in one polling
   * response, or in one write of WebSocket frames. `callback` runs once the packet has been written
   * to the transport. Ignored once the session is closing.
   *
   * @example
   * socket.send('hello');
   * socket.send(Buffer.from([1, 2, 3]), { compress: false }, () => console.log('written'));
   */
  send(data: string | Buffer, options?: EngineSendOptions, callback?: () => void): void {
    this.sendPacket({ type: PacketType.Message, data }, options?.compress ?? true, callback);
  }

  /**
   * Closes the session once the packets already buffered are written; `close` is emitted with
   * "forced close".
   */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    if (this.writeBuffer.length > 0) {
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
    this.transport.discard();
    this.transport.close();
  }

  /** @internal Hands a polling request of this session to its transport. */
  handlePollingRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!(this.transport instanceof PollingTransport)) {
      respondError(res, 400, EngineErrorCode.BadRequest);
      return;
    }
    this.transport.onRequest(req, res);
  }

  /** @internal Whether a WebSocket may still be offered to this session as an upgrade. */
  get canUpgrade(): boolean {
    return this.state === 'open' && this.upgradeState === 'none' && this.transport.name === TransportName.Polling;
  }

  /**
   * @internal Tries `candidate` as the session's new transport (Engine.IO protocol v4, "Upgrade"):
   * answers the `probe` ping, ends the held poll with a noop, and switches on the `upgrade` packet.
   */
  upgradeTo(candidate: Transport): void {
    this.upgradeState = 'upgrading';
    const timer = setTimeout(() => fail(), this.settings.upgradeTimeout);
    const onPacket = (packet: Packet): void => {
      if (packet.type === PacketType.Ping && packet.data === 'probe' && this.upgradeState === 'upgrading') {
        candidate.send([{ type: PacketType.Pong, data: 'probe' }], false);
        this.upgradeState = 'probed';
        this.emit('upgrading', candidate.name);
        this.endPollForUpgrade();
      } else if (packet.type === PacketType.Upgrade && this.state !== 'closed') {
        cleanup();
        this.switchTo(candidate);
      } else {
        fail();
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      candidate.off('packet', onPacket);
      candidate.off('parseError', fail);
      candidate.off('error', fail);
      candidate.off('close', fail);
      this.cancelUpgrade = undefined;
      if (this.upgradeState !== 'upgraded') this.upgradeState = 'none';
    };
    function fail(): void {
      cleanup();
      candidate.close();
    }
    candidate.on('packet', onPacket);
    candidate.on('parseError', fail);
    candidate.on('error', fail);
    candidate.on('close', fail);
    this.cancelUpgrade = fail;
  }

  private switchTo(next: Transport): void {
    const previous = this.transport;
    this.upgradeState = 'upgraded';
    // Let go of the old transport before it closes, so its 'close' does not end the session.
    this.detachTransport();
    previous.discard();
    previous.close();
    this.transport = next;
    this.attach(next);
    // A ping that went out on the old transport may have its pong come back on the new one late.
    if (this.pingTimeoutTimer !== undefined) this.resetPingTimeout();
    this.emit('upgrade', next.name);
    this.flush();
    if (this.state === 'closing') this.closeTransport(CloseReason.ForcedClose);
  }

  /** Protocol v4, "Upgrade": the server MUST end a pending GET with a noop so the client can pause. */
  private endPollForUpgrade(): void {
    if (this.upgradeState === 'probed' && this.transport.name === TransportName.Polling && this.transport.writable) {
      this.sendOnTransport([{ type: PacketType.Noop }], false);
    }
  }

  private attach(transport: Transport): void {
    const onPacket = (packet: Packet): void => this.onPacket(packet);
    const onReady = (): void => {
      this.flush();
      this.endPollForUpgrade();
    };
    const onDrain = (): void => {
      const callbacks = this.sentCallbacks.shift();
      if (callbacks !== undefined) for (const callback of callbacks) callback();
    };
    const onError = (error: TransportError): void => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      this.onClose(CloseReason.TransportError, error);
    };
    const onParseError = (error: EngineIOParseError): void => this.onClose(CloseReason.ParseError, error);
    const onClose = (): void => this.onClose(this.closeReason ?? CloseReason.TransportClose);
    transport.on('packet', onPacket);
    transport.on('ready', onReady);
    transport.on('drain', onDrain);
    transport.on('error', onError);
    transport.on('parseError', onParseError);
    transport.on('close', onClose);
    this.detachTransport = () => {
      transport.off('packet', onPacket);
      transport.off('ready', onReady);
      transport.off('drain', onDrain);
      transport.off('error', onError);
      transport.off('parseError', onParseError);
      transport.off('close', onClose);
    };
  }

  private onPacket(packet: Packet): void {
    if (this.state !== 'open') return;
    this.emit('packet', packet);
    // Any traffic while a pong is awaited proves the client alive, but extends the wait only once:
    // a large payload may delay the pong behind it (as the reference server allows).
    if (this.pingTimeoutTimer !== undefined && !this.pingTimeoutExtended && packet.type !== PacketType.Pong) {
      this.pingTimeoutTimer.refresh();
      this.pingTimeoutExtended = true;
    }
    switch (packet.type) {
      case PacketType.Message:
        this.emit('message', typeof packet.data === 'string' ? packet.data : asBuffer(packet.data));
        break;
      case PacketType.Pong:
        clearTimeout(this.pingTimeoutTimer);
        this.pingTimeoutTimer = undefined;
        this.schedulePing();
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

  private schedulePing(): void {
    clearTimeout(this.pingIntervalTimer);
    this.pingIntervalTimer = setTimeout(() => {
      this.pingTimeoutExtended = false;
      this.sendPacket({ type: PacketType.Ping });
      this.resetPingTimeout();
    }, this.settings.pingInterval);
  }

  private resetPingTimeout(): void {
    clearTimeout(this.pingTimeoutTimer);
    this.pingTimeoutTimer = setTimeout(() => this.onClose(CloseReason.PingTimeout), this.settings.pingTimeout);
  }

  private sendPacket(packet: Packet, compress = true, callback?: Callback): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.emit('packetCreate', packet);
    this.writeBuffer.push(packet);
    if (compress) this.compressBuffer = true;
    if (callback !== undefined) this.pendingCallbacks.push(callback);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Everything sent in this tick leaves in one batch.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.state === 'closed' || !this.transport.writable || this.writeBuffer.length === 0) return;
    const batch = this.writeBuffer;
    const callbacks = this.pendingCallbacks;
    const compress = this.compressBuffer;
    this.writeBuffer = [];
    this.pendingCallbacks = [];
    this.compressBuffer = false;
    this.sendOnTransport(batch, compress, callbacks);
    this.emit('drain');
  }

  private sendOnTransport(packets: Packet[], compress: boolean, callbacks: Callback[] = []): void {
    this.sentCallbacks.push(callbacks);
    this.transport.send(packets, compress);
  }

  private closeTransport(reason: CloseReason): void {
    this.closeReason = reason;
    this.transport.close();
  }

  private onClose(reason: CloseReason, description?: unknown): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.pingIntervalTimer);
    clearTimeout(this.pingTimeoutTimer);
    this.pingIntervalTimer = undefined;
    this.pingTimeoutTimer = undefined;
    this.cancelUpgrade?.();
    this.writeBuffer = [];
    this.pendingCallbacks = [];
    this.sentCallbacks = [];
    this.detachTransport();
    // The session is over: a held poll still gets the close packet, but nothing waits for another.
    this.transport.discard();
    this.transport.close();
    this.emit('close', reason, description);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
