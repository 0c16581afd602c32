import { PacketType, hasBinary, isBinary, type Packet } from './packet.js';

/**
 * A packet ready for the wire: the text part first, then one binary attachment per entry,
 * each of which travels as its own Engine.IO message.
 */
export type EncodedPacket = [string, ...Uint8Array[]];

/** The placeholder that stands for attachment `num` in the JSON of a binary packet. */
interface Placeholder {
  _placeholder: true;
  num: number;
}

function toBytes(value: ArrayBufferView | ArrayBuffer): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Replaces every binary value in `data` by a placeholder and collects the binaries in order.
 * Builds new containers instead of mutating the caller's objects.
 */
function deconstruct(data: unknown, attachments: Uint8Array[]): unknown {
  if (data === null || typeof data !== 'object') return data;
  if (isBinary(data)) {
    const placeholder: Placeholder = { _placeholder: true, num: attachments.length };
    attachments.push(toBytes(data));
    return placeholder;
  }
  if (Array.isArray(data)) return data.map((item) => deconstruct(item, attachments));
  const withToJson = data as { toJSON?: unknown };
  if (typeof withToJson.toJSON === 'function') {
    // Same view JSON.stringify would take: a Date becomes its string, a custom toJSON its result.
    const json = (withToJson.toJSON as () => unknown).call(data);
    return json === data ? json : deconstruct(json, attachments);
  }
  // No prototype, so a key named "__proto__" (valid JSON) stays a key instead of replacing the prototype.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(data)) {
    out[key] = deconstruct((data as Record<string, unknown>)[key], attachments);
  }
  return out;
}

/**
 * Encodes a packet (Socket.IO protocol v5, "Packet encoding"):
 * `<type>[<attachments>-][<namespace>,][<ack id>][JSON payload]`.
 *
 * An EVENT or ACK whose data holds binary values becomes a BINARY_EVENT or BINARY_ACK whose
 * binaries are replaced by `{"_placeholder":true,"num":N}` and returned after the text part.
 *
 * @example
 * encodePacket({ type: PacketType.Event, nsp: '/chat', id: 3, data: ['hello', 1] });
 * // ['2/chat,3["hello",1]']
 */
export function encodePacket(packet: Packet): EncodedPacket {
  let type: PacketType = packet.type;
  let data = packet.data;
  const attachments: Uint8Array[] = [];
  const isEvent = type === PacketType.Event || type === PacketType.BinaryEvent;
  const isAck = type === PacketType.Ack || type === PacketType.BinaryAck;
  // The binary variant is chosen from the data, so a caller never announces attachments it lacks.
  if ((isEvent || isAck) && hasBinary(data)) {
    type = isEvent ? PacketType.BinaryEvent : PacketType.BinaryAck;
    data = deconstruct(data, attachments);
  } else if (isEvent || isAck) {
    type = isEvent ? PacketType.Event : PacketType.Ack;
  }
  let text = String(type);
  if (type === PacketType.BinaryEvent || type === PacketType.BinaryAck) text += `${attachments.length}-`;
  if (packet.nsp && packet.nsp !== '/') text += `${packet.nsp},`;
  if (packet.id !== undefined) text += String(packet.id);
  if (data !== undefined) text += JSON.stringify(data);
  return [text, ...attachments];
}
