/**
 * Socket.IO protocol v5 packet types (Socket.IO protocol §"Packet types").
 * The numeric value is the first character of every encoded packet. A `const enum`: bundles
 * (the browser client's) get the bare numbers, no object to look them up in.
 */
export const enum PacketType {
  Connect = 0,
  Disconnect = 1,
  Event = 2,
  Ack = 3,
  ConnectError = 4,
  BinaryEvent = 5,
  BinaryAck = 6,
}

/** Binary data as the codec sees it: a view (Buffer included) or a bare ArrayBuffer. */
export type BinaryData = ArrayBufferView | ArrayBuffer;

/**
 * A decoded (or to-be-encoded) Socket.IO packet.
 *
 * `data` is the JSON payload with binary attachments in place (never placeholders);
 * `id` is the acknowledgement id, present on EVENTs that expect an answer and on every ACK.
 */
export interface Packet {
  type: PacketType;
  /** Namespace, always starting with `/`; the main namespace is `/`. */
  nsp: string;
  id?: number;
  data?: unknown;
}

/**
 * Event names reserved by the protocol implementations: a peer may not emit them
 * (Socket.IO protocol v5, "EVENT" packets; the official implementations reject them).
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

/** Tells whether `value` is binary data that travels as an attachment. */
export function isBinary(value: unknown): value is BinaryData {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/**
 * Tells whether `value` contains binary data anywhere in its JSON tree.
 * Objects with a `toJSON` method are inspected through it once, as `JSON.stringify` would.
 */
export function hasBinary(value: unknown, viaToJson = false): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (hasBinary(item)) return true;
    return false;
  }
  const withToJson = value as { toJSON?: unknown };
  if (typeof withToJson.toJSON === 'function' && !viaToJson) {
    return hasBinary((withToJson.toJSON as () => unknown).call(value), true);
  }
  for (const key of Object.keys(value)) {
    if (hasBinary((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}
