/**
 * The Engine.IO protocol revision this codec speaks: the `EIO` query parameter a client must send.
 */
export const ENGINE_IO_PROTOCOL = 4;

/**
 * The seven Engine.IO packet types by name (Engine.IO protocol v4, "Protocol").
 */
export const PacketType = {
  /** Sent by the server to open a session, with the handshake data as JSON. */
  Open: 'open',
  /** Asks the other side to close the transport. */
  Close: 'close',
  /** Heartbeat request (server to client), or the `probe` of an upgrade (client to server). */
  Ping: 'ping',
  /** Heartbeat answer (client to server), or the `probe` answer of an upgrade (server to client). */
  Pong: 'pong',
  /** Application data, text or binary. */
  Message: 'message',
  /** Completes an upgrade: the client switches to the new transport. */
  Upgrade: 'upgrade',
  /** Does nothing; the server uses it to end a pending poll during an upgrade. */
  Noop: 'noop',
} as const;

/** One of the Engine.IO packet type names. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** The digit each packet type is written as on the wire, indexed by type name. */
export const PACKET_TYPE_DIGIT: Readonly<Record<PacketType, string>> = {
  open: '0',
  close: '1',
  ping: '2',
  pong: '3',
  message: '4',
  upgrade: '5',
  noop: '6',
};

/** The packet type of each wire digit, indexed by the digit's value (0–6). */
export const PACKET_TYPE_OF_DIGIT: readonly PacketType[] = [
  'open',
  'close',
  'ping',
  'pong',
  'message',
  'upgrade',
  'noop',
];

/** A message packet: application data, either UTF-8 text or raw bytes. */
export interface MessagePacket {
  readonly type: 'message';
  readonly data: string | Uint8Array;
}

/** Any packet other than a message; only text data (such as `probe`) is possible. */
export interface ControlPacket {
  readonly type: Exclude<PacketType, 'message'>;
  readonly data?: string;
}

/** One decoded or to-be-encoded Engine.IO packet. */
export type Packet = MessagePacket | ControlPacket;

/**
 * The JSON payload of the `open` packet (Engine.IO protocol v4, "Handshake").
 */
export interface HandshakeData {
  /** The session id the client must send as `sid` in every later request. */
  readonly sid: string;
  /** Transports the client may upgrade to from the one it opened with. */
  readonly upgrades: readonly string[];
  /** Milliseconds between two server pings. */
  readonly pingInterval: number;
  /** Milliseconds the client has to answer a ping with a pong. */
  readonly pingTimeout: number;
  /** The largest polling payload, in bytes, the server accepts. */
  readonly maxPayload: number;
}

/** Builds the `open` packet that starts a session. */
export function openPacket(handshake: HandshakeData): ControlPacket {
  return {
    type: PacketType.Open,
    data: JSON.stringify({
      sid: handshake.sid,
      upgrades: handshake.upgrades,
      pingInterval: handshake.pingInterval,
      pingTimeout: handshake.pingTimeout,
      maxPayload: handshake.maxPayload,
    }),
  };
}
