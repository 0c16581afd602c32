/**
 * What the session ({@link EngineSocket}) and its two transports say to each other. A transport
 * is not an event emitter: it reports to one {@link TransportListener} — the session, or, while
 * a polling session tries a WebSocket, the upgrade probe — and the session swaps that listener
 * when it hands a transport over or lets go of one.
 */
import type { Packet } from '../../protocol/engine-io/index.js';
import type { Endpoint } from './endpoint.js';
import type { ProbeHost, UpgradeProbe } from './upgrade-probe.js';
import type { ClientPlatform, EngineSocketOptions, TransportName } from './types.js';

/**
 * A transport failed: a refused or broken request, a WebSocket that could not open, or bytes that
 * are not Engine.IO. Shaped as `engine.io-client`'s error of the same name, so code that reads
 * `type`, `description` and `context` in a `connect_error` handler keeps working.
 */
export class TransportError extends Error {
  /** Always `'TransportError'`. */
  readonly type = 'TransportError';
  /**
   * What went wrong underneath: the HTTP status of a refused request, the `fetch` rejection, the
   * WebSocket's error event, or the parse error.
   */
  readonly description: unknown;
  /**
   * More about it when known: for a refused HTTP request `{ status, code, message }` (`code` and
   * `message` from the server's JSON error body, when it sent one), for a WebSocket the socket.
   */
  readonly context: unknown;

  constructor(message: string, description: unknown, context?: unknown) {
    super(message);
    this.name = 'TransportError';
    this.description = description;
    this.context = context;
  }
}

/** The message of a {@link TransportError} for bytes that are not Engine.IO: the session closes with `parse error`. */
export const PARSE_ERROR = 'parse error';

/** What a transport reports. After `onTransportError` or `onTransportClose` it reports nothing more. */
export interface TransportListener {
  /** The WebSocket connected (polling has no such moment: its first response is the handshake). */
  onTransportOpen(): void;
  /** One decoded packet, `close` included. */
  onTransportPacket(packet: Packet): void;
  /** Everything handed to `send` has been written; the transport is writable again. */
  onTransportDrain(): void;
  /** The transport failed (network, HTTP status, a frame or payload that does not decode). */
  onTransportError(error: TransportError): void;
  /** The connection closed under the transport (a WebSocket's close event). */
  onTransportClose(description: unknown): void;
}

/** One transport of a client session. */
export interface ClientTransport {
  readonly name: TransportName;
  /** True when nothing handed to `send` is still being written. */
  readonly writable: boolean;
  /** Who hears about packets and failures; replaced when the session hands the transport over. */
  listener: TransportListener;
  /** The session id every request after the handshake carries. */
  sid: string | undefined;
  /** Starts connecting (WebSocket) or polling (polling). */
  open(): void;
  /**
   * Writes packets from the head of `packets`: one frame each (WebSocket), or one POST (polling)
   * of as many as fit in `maxPayload` bytes, the server's limit (at least one). Returns how many
   * it took. Called only while `writable`.
   */
  send(packets: readonly Packet[], maxPayload?: number): number;
  /**
   * Polling only: starts moving the session onto the WebSocket `candidate` (Engine.IO protocol v4,
   * "Upgrade"). Lives with the polling transport so that a WebSocket-only bundle holds no upgrade code.
   */
  probe?(candidate: ClientTransport, host: ProbeHost, timeout: number): UpgradeProbe;
  /**
   * Stops polling for an upgrade (Engine.IO protocol v4, "Upgrade"): no new GET, and `onPaused`
   * once the GET and POST in flight are done. A WebSocket has nothing to pause. Called only on an
   * open transport that is not already pausing.
   */
  pause(onPaused: () => void): void;
  /** Goes back to polling after an upgrade that did not complete. */
  resume(): void;
  /**
   * Writes `packets` (the session's unsent ones, then a `close` over polling) and then closes.
   * Called only on an open transport: one that closed has already ended its session.
   */
  shutdown(packets: readonly Packet[]): void;
  /** Closes at once, sending nothing; the listener hears nothing more. */
  close(): void;
}

/** A listener that ignores everything: what a transport the session let go of reports to. */
export const DETACHED: TransportListener = {
  onTransportOpen() {},
  onTransportPacket() {},
  onTransportDrain() {},
  onTransportError() {},
  onTransportClose() {},
};

/**
 * A transport's constructor: the session makes its transports with it, for a handshake (`sid`
 * undefined) or an upgrade. The entry point hands the session the ones it offers, so a bundle
 * holds only those (the WebSocket-only entry has no long-polling code).
 */
export type TransportClass = new (
  endpoint: Endpoint,
  platform: ClientPlatform,
  options: EngineSocketOptions,
  sid: string | undefined,
) => ClientTransport;

/** The transports an entry point offers, by name, in its default order of preference. */
export type Transports = Readonly<Partial<Record<TransportName, TransportClass>>>;
