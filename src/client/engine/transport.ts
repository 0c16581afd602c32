/**
 * What the session ({@link EngineSocket}) and its two transports say to each other. A transport is
 * not an event emitter: it reports to one {@link TransportListener} — the session, or, while a
 * polling session tries a WebSocket, the upgrade probe — and the session swaps that listener when it
 * takes a transport over or lets go of one.
 */
import type { TransportPlan } from './transport-plan.js';
import type { ClientPlatform, EngineSocketOptions, TransportName } from './types.js';

/**
 * One Engine.IO packet as it travels (Engine.IO protocol v4, "Packet encoding"): text with its
 * type digit first (`4hello`, `2`), or the bytes of a binary message. The client keeps packets in
 * this form from `send` to the socket, so sending one builds no object.
 */
export type Wire = string | Uint8Array;

/**
 * A message the application sent with `compress: false`: the WebSocket transport asks the host's
 * WebSocket not to compress it (Node's honours that; a browser's WebSocket has no per-message
 * choice), and polling sends its data like any other, as the client compresses no request.
 */
export class Uncompressed {
  // Declared and assigned, not a parameter property: the bundle would carry that one twice.
  declare readonly data: Wire;

  constructor(data: Wire) {
    this.data = data;
  }
}

/** A packet waiting to be written: its wire form, or that form marked {@link Uncompressed}. */
export type Outgoing = Wire | Uncompressed;

/**
 * The send options of a message marked {@link Uncompressed} (a host WebSocket's), and of an emit
 * with `compress: false` (the socket's): one shared object, none made per message.
 */
export const NOT_COMPRESSED = { compress: false } as const;

/** The wire form of `packet`. */
export const wireOf = (packet: Outgoing): Wire => (packet instanceof Uncompressed ? packet.data : packet);

/**
 * A transport failed: a refused or broken request, a WebSocket that could not open, or bytes that
 * are not Engine.IO. Shaped as `engine.io-client`'s error of the same name, so code that reads
 * `type`, `description` and `context` in a `connect_error` handler keeps working.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** Always `'TransportError'`. */
  readonly type = 'TransportError';
  /**
   * What went wrong underneath: the HTTP status of a refused request, the `fetch` rejection, the
   * WebSocket's error event, the parse error.
   */
  declare readonly description: unknown;
  /**
   * More about it when known: for a refused HTTP request `{ status, code, message }` (`code` and
   * `message` from the server's JSON error body, when it sent one), for a WebSocket the socket.
   */
  declare readonly context: unknown;

  constructor(message: string, description: unknown, context?: unknown) {
    super(message);
    // Assigned, not parameter properties: the bundle would carry those twice.
    this.description = description;
    this.context = context;
  }
}

/** The message of a {@link TransportError} for bytes that are not Engine.IO: the session closes with `parse error`. */
export const PARSE_ERROR = 'parse error';

/**
 * `wire` if it is an Engine.IO packet: bytes, or text starting with a type digit (0 to 6); else the
 * `parse error` naming what it got instead.
 */
export function checkPacket(wire: unknown): Wire | TransportError {
  if (wire instanceof Uint8Array) return wire;
  if (typeof wire !== 'string') return new TransportError(PARSE_ERROR, `unexpected message data: ${typeof wire}`);
  const digit = wire.charCodeAt(0) - 0x30;
  return digit >= 0 && digit <= 6
    ? wire
    : new TransportError(PARSE_ERROR, `unknown packet type ${JSON.stringify(wire.slice(0, 1))}`);
}

/** What a transport reports. After `Error`, `Close` or `Upgraded` it reports nothing more. */
export const enum Report {
  /**
   * The transport can carry packets: the WebSocket connected (polling has no such moment: its first
   * response is the handshake), or polling resumed after an upgrade that failed.
   */
  Open,
  /** One packet, checked by {@link checkPacket}. */
  Packet,
  /** Everything handed to `send` has been written; the transport is writable again. */
  Drain,
  /** Polling handed its session over to a WebSocket (an upgrade went through, `5` sent on it); it is closed. */
  Upgraded,
  /** The transport failed (network, HTTP status, a frame or payload that is not Engine.IO). */
  Error,
  /** The connection closed under the transport (a WebSocket's close event, carried along). */
  Close,
}

/** Who hears a transport's reports. */
export type TransportListener = (
  ...report:
    | [Report.Open]
    | [Report.Packet, Wire]
    | [Report.Drain]
    | [Report.Upgraded, ClientTransport]
    | [Report.Error, TransportError]
    | [Report.Close, unknown]
) => void;

/** Hears nothing: what a transport the session let go of reports to. */
export const ignore = (): void => {};

/** What a transport needs of its session. */
export interface TransportHost {
  readonly platform: ClientPlatform;
  readonly options: EngineSocketOptions;
  /** The URL of the next request (or WebSocket) of `transport`, with the session id once there is one. */
  url(transport: TransportName): string;
}

/** One transport of a client session. It starts connecting (WebSocket) or polling when made. */
export interface ClientTransport {
  readonly name: TransportName;
  /** True when nothing handed to `send` is still being written. */
  readonly writable: boolean;
  /** Who hears about packets and failures; replaced when the session takes the transport over. */
  listener: TransportListener;
  /**
   * Writes packets from the head of `packets`: one frame each (WebSocket), or one POST (polling)
   * of as many as fit in `maxPayload` bytes, the server's limit (at least one). Returns how many
   * it took. Called only while `writable`.
   */
  send(packets: readonly Outgoing[], maxPayload?: number): number;
  /**
   * Polling only: the session opened over this transport and the server offers `serverUpgrades`;
   * starts moving the session onto a WebSocket when the options allow (Engine.IO protocol v4,
   * "Upgrade"). `afterFallback`: a WebSocket failed to open first, so failed upgrades are tried
   * again. Lives with the polling transport so that a WebSocket-only bundle holds no upgrade code.
   */
  upgrade?(serverUpgrades: readonly string[], afterFallback: boolean): void;
  /**
   * Writes `packets` (the session's unsent ones, then a `close` over polling) and then closes.
   * Called only on an open transport: one that closed has already ended its session.
   */
  shutdown(packets: readonly Outgoing[]): void;
  /** Closes at once, sending nothing; the listener hears nothing more. */
  close(): void;
}

/**
 * A transport's constructor. The entry point hands the session the ones it offers, so a bundle
 * holds only those (the WebSocket-only entry has no long-polling code).
 */
export type TransportClass = new (host: TransportHost, listener: TransportListener) => ClientTransport;

/** The transports an entry point offers, by name. */
export interface Transports {
  readonly websocket?: TransportClass;
  /** Brings the {@link TransportPlan} of sessions that may use both transports. */
  readonly polling?: TransportClass & { plan(options: EngineSocketOptions): TransportPlan };
}

/** A running timer, or `undefined` for none. */
export type Timer = ReturnType<typeof setTimeout> | undefined;

/**
 * Calls `callback` after `ms`. Browsers and Node alike fire a timer of more than 2^31 - 1 ms at
 * once: such a delay (an infinite `timeout`) starts no timer.
 */
export function startTimer(ms: number, callback: () => void): Timer {
  return ms < 2 ** 31 ? setTimeout(callback, ms) : undefined;
}
