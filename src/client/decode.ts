/**
 * The client's reading of what a server sends (Socket.IO protocol v5). The server's decoder
 * (`PacketDecoder`) carries limits, error codes and hooks a client has no use for; this one checks
 * what the client relies on: a known type, valid JSON, the payload each type allows, an ack id
 * where one is needed, no reserved event name, attachments that match their placeholders. Every
 * malformed message throws an `Error` saying what is wrong; the manager closes the connection
 * with the reason `parse error`.
 */
import { PacketType, RESERVED_EVENTS, type Packet } from '../protocol/socket-io/index.js';
import { isRecord } from './options.js';

/** A binary packet (BINARY_EVENT, BINARY_ACK) whose attachments are still arriving, in the next binary messages. */
export interface PendingPacket {
  readonly packet: Packet;
  readonly expected: number;
  readonly buffers: unknown[];
}

/** Whether a payload (`undefined`: none) and an ack id are what each type allows, by type (binary types as their plain one). */
const VALID: readonly ((data: unknown, id: number | undefined) => boolean)[] = [
  // CONNECT
  (data, id) => id === undefined && (data === undefined || isRecord(data)),
  // DISCONNECT
  (data, id) => id === undefined && data === undefined,
  // EVENT: the name first, then the listener's arguments.
  (data) =>
    Array.isArray(data) &&
    (typeof data[0] === 'number' || (typeof data[0] === 'string' && !RESERVED_EVENTS.has(data[0]))),
  // ACK
  (data, id) => id !== undefined && Array.isArray(data),
  // CONNECT_ERROR
  (data, id) => id === undefined && (typeof data === 'string' || isRecord(data)),
];

function malformed(what: string): never {
  throw new Error(`malformed packet: ${what}`);
}

/**
 * Reads one message, given the binary packet still waiting for attachments (if any): the packet
 * it completes, or the binary packet still (or now) waiting.
 */
export function decodeMessage(
  pending: PendingPacket | undefined,
  message: string | ArrayBuffer | Uint8Array,
): Packet | PendingPacket {
  if (typeof message === 'string') {
    if (pending) malformed('text before the attachments');
    return decodeText(message);
  }
  if (!pending) malformed('unexpected binary');
  pending.buffers.push(message);
  return pending.buffers.length < pending.expected ? pending : reconstruct(pending);
}

/** Reads a text message. Format: `<type>[<attachments>-][<namespace>,][<ack id>][JSON payload]`. */
function decodeText(text: string): Packet | PendingPacket {
  // Only a binary type (5, 6) has an attachment count; a namespace ends at its comma, or the text's end.
  const [head, digit, count, nsp = '/', digits] =
    /^([0-6])(?:(?<=[56])(\d+)-)?(?:(\/[^,]*),?)?(\d*)/.exec(text) ?? malformed('unknown type');
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the expression matched one of its digits, 0 to 6.
  const type = Number(digit) as PacketType;
  const id = digits ? Number(digits) : undefined;
  let data: unknown;
  if (head.length < text.length) {
    try {
      data = JSON.parse(text.slice(head.length));
    } catch {
      malformed('invalid JSON');
    }
  }
  if (
    !VALID[type >= PacketType.BinaryEvent ? type - 3 : type]!(data, id) ||
    (id !== undefined && !Number.isSafeInteger(id))
  ) {
    malformed(`bad payload or ack id (type ${type})`);
  }
  const packet: Packet = { type, nsp, data };
  if (id !== undefined) packet.id = id;
  if (type < PacketType.BinaryEvent) return packet;
  const expected = Number(count);
  if (!(expected > 0)) malformed('no attachment count');
  return { packet, expected, buffers: [] };
}

/** The packet of `pending` with every placeholder replaced by its attachment; each attachment must be used. */
function reconstruct({ packet, buffers }: PendingPacket): Packet {
  const unused = new Set(buffers.keys());
  const walk = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    if (record._placeholder === true) {
      const num = record.num as number;
      if (!Number.isInteger(num) || !(num in buffers)) malformed('bad placeholder');
      unused.delete(num);
      return buffers[num];
    }
    for (const key of Object.keys(record)) record[key] = walk(record[key]);
    return record;
  };
  packet.data = walk(packet.data);
  if (unused.size > 0) malformed('unused attachment');
  return packet;
}
