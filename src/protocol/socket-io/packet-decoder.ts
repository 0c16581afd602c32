import { SocketIoParseError, type SocketIoErrorCode } from './errors.js';
import { PacketType, RESERVED_EVENTS, type Packet } from './packet.js';

/** The part of a {@link SocketIoErrorCode} after `ERR_SIO_`. */
export type ErrorName = SocketIoErrorCode extends `ERR_SIO_${infer Name}` ? Name : never;

/**
 * Throws the {@link SocketIoParseError} of `name`. The codes are written without their common
 * prefix: the client's browser bundle carries this decoder.
 */
export function fail(name: ErrorName, message: string): never {
  throw new SocketIoParseError(`ERR_SIO_${name}` as SocketIoErrorCode, message);
}

/*
 * Where a condition is the one socket.io-parser's decoder reports, its message is worded the same,
 * so that code matching the reference server's messages (`/Illegal attachments/`) keeps working.
 */
const ILLEGAL_ATTACHMENTS = 'Illegal attachments';

const isPlainObject = (value: unknown): boolean => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Socket.IO protocol v5: what each packet type carries, by type: its name, the words and the test
 * of its payload (which sees `undefined` when there is none), and its ack id (`true` required, `false` refused,
 * `undefined` optional).
 */
const SHAPES: readonly (readonly [string, string, (data: unknown) => boolean, boolean | undefined])[] = [
  ['CONNECT', 'an object', (data) => data === undefined || isPlainObject(data), false],
  ['DISCONNECT', 'absent', (data) => data === undefined, false],
  ['EVENT', 'a non-empty array', (data) => Array.isArray(data) && data.length > 0, undefined],
  ['ACK', 'an array', Array.isArray, true],
  ['CONNECT_ERROR', 'a string or an object', (data) => typeof data === 'string' || isPlainObject(data), false],
];

/** The type whose shape a binary type shares: BINARY_EVENT is an EVENT, BINARY_ACK an ACK. */
const shapeOf = (type: PacketType) =>
  SHAPES[type === PacketType.BinaryEvent ? PacketType.Event : type === PacketType.BinaryAck ? PacketType.Ack : type]!;

/** A packet whose binary attachments are still arriving. */
interface PendingBinary {
  packet: Packet;
  expected: number;
  buffers: unknown[];
  /** Bytes of `buffers`, together. */
  bytes: number;
}

/** Where the text of a packet stands once its header is read, for {@link PacketDecoder.checkHeader}. */
export interface PacketHeader {
  readonly attachments: number;
  readonly nsp: string;
  /** Index of the JSON payload in the text (its length when there is none). */
  readonly payloadStart: number;
}

/**
 * Decodes Socket.IO packets from the Engine.IO messages that carry them, checking their structure
 * and the payload each type allows (Socket.IO protocol v5), with no limit on sizes: what a client
 * needs from a server it chose to trust. The server's {@link Decoder} adds its limits through the
 * `check…` hooks.
 *
 * Text messages hold a packet; a BINARY_EVENT or BINARY_ACK announces N attachments that follow
 * as the next N binary messages, after which the packet is returned with every placeholder
 * replaced by its attachment. Every malformed input throws a {@link SocketIoParseError}; after
 * one the decoder should be discarded together with the connection.
 *
 * @example
 * const decoder = new PacketDecoder();
 * const packet = decoder.add('2/chat,7["message","hi"]');
 * // { type: 2, nsp: '/chat', id: 7, data: ['message', 'hi'] }
 */
export class PacketDecoder {
  protected pending: PendingBinary | undefined;

  /**
   * Feeds one Engine.IO message. Returns the completed packet, or `undefined` while a binary
   * packet still waits for attachments. Binary messages are kept as given (a Buffer stays a Buffer).
   */
  add(message: string | ArrayBufferView | ArrayBuffer): Packet | undefined {
    const pending = this.pending;
    if (typeof message === 'string') {
      if (pending) fail('UNEXPECTED_TEXT', 'got plaintext data when reconstructing a packet');
      const [packet, attachments] = this.decodeText(message);
      if (attachments === 0) return packet;
      this.pending = { packet, expected: attachments, buffers: [], bytes: 0 };
      return undefined;
    }
    if (!pending) fail('UNEXPECTED_BINARY', 'got binary data when not reconstructing a packet');
    const bytes = pending.bytes + message.byteLength;
    this.checkAttachmentBytes(bytes);
    pending.buffers.push(message);
    pending.bytes = bytes;
    if (pending.buffers.length < pending.expected) return undefined;
    this.pending = undefined;
    const unused = new Set(pending.buffers.keys());
    pending.packet.data = reconstruct(pending.packet.data, pending.buffers, unused);
    if (unused.size > 0) fail('ILLEGAL_PLACEHOLDER', 'an attachment is never referenced');
    return pending.packet;
  }

  /** Drops a half-received binary packet. */
  reset(): void {
    this.pending = undefined;
  }

  /** A limit on the header and the payload's text, before the payload is parsed: none here. */
  protected checkHeader(_text: string, _header: PacketHeader): void {}

  /** A limit on a decoded packet (already of the right shape): none here. */
  protected checkPacket(_packet: Packet): void {}

  /** A limit on the bytes of a binary packet's attachments so far, before the latest is kept: none here. */
  protected checkAttachmentBytes(_bytes: number): void {}

  /** The packet in `text` and the number of attachments it announces. */
  private decodeText(text: string): [Packet, number] {
    // Socket.IO protocol v5, "Packet encoding": `<type>[<attachments>-][<namespace>,][<ack id>][JSON payload]`.
    // Only a binary type (5, 6) has the attachment count; a namespace ends at its comma, or the text's end.
    const header = /^([0-6])(?:(?<=[56])(\d{1,6})-)?(?:(\/[^,]*),?)?(\d*)/.exec(text);
    if (header === null) {
      // A digit as socket.io-parser words it ("unknown packet type 9"); anything else quoted, as it may not print.
      const first = text.slice(0, 1);
      fail('UNKNOWN_PACKET_TYPE', `unknown packet type ${/\d/.test(first) ? first : JSON.stringify(first)}`);
    }
    const [head, typeDigit, count, namespace, idDigits] = header;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the expression matched one of its digits, 0 to 6.
    const type = Number(typeDigit) as PacketType;
    const binary = type === PacketType.BinaryEvent || type === PacketType.BinaryAck;
    const attachments = Number(count ?? 0);
    if (binary !== attachments > 0) fail('ILLEGAL_ATTACHMENTS', ILLEGAL_ATTACHMENTS);
    const nsp = namespace ?? '/';
    if (namespace !== undefined && (nsp.length < 2 || /[\0-\x1f\x7f]/.test(nsp))) {
      fail('INVALID_NAMESPACE', 'invalid namespace');
    }
    const id = idDigits === '' ? undefined : Number(idDigits);
    if (id !== undefined && !Number.isSafeInteger(id)) fail('INVALID_ACK_ID', 'ack id out of range');
    const payloadStart = head.length;
    this.checkHeader(text, { attachments, nsp, payloadStart });
    let data: unknown;
    if (payloadStart < text.length) {
      try {
        data = JSON.parse(text.slice(payloadStart));
      } catch {
        fail('INVALID_JSON', 'payload is not valid JSON');
      }
    }
    const [name, words, test, ackId] = shapeOf(type);
    if (!test(data)) fail('INVALID_PAYLOAD', `${name} payload must be ${words}`);
    if (ackId !== undefined && ackId !== (id !== undefined)) {
      fail('INVALID_ACK_ID', `${name} ${ackId ? 'needs' : 'takes no'} ack id`);
    }
    if (name === 'EVENT') {
      // The name comes first; the rest are the listener's arguments.
      const event = (data as unknown[])[0];
      if (RESERVED_EVENTS.has(event as string))
        fail('RESERVED_EVENT_NAME', `"${String(event)}" is a reserved event name`);
      if (typeof event !== 'string' && typeof event !== 'number') {
        fail('INVALID_PAYLOAD', 'event name must be a string or a number');
      }
    }
    const packet: Packet = { type, nsp };
    if (id !== undefined) packet.id = id;
    if (data !== undefined) packet.data = data;
    this.checkPacket(packet);
    return [packet, attachments];
  }
}

/** Replaces placeholders by their attachments, crossing each one used off `unused`. */
function reconstruct(data: unknown, buffers: unknown[], unused: Set<number>): unknown {
  if (data === null || typeof data !== 'object') return data;
  const record = data as Record<string, unknown>;
  if (record._placeholder === true) {
    const num = record.num;
    if (!Number.isInteger(num) || !((num as number) in buffers)) {
      fail('ILLEGAL_PLACEHOLDER', 'placeholder names no attachment');
    }
    unused.delete(num as number);
    return buffers[num as number];
  }
  for (const key of Object.keys(record)) record[key] = reconstruct(record[key], buffers, unused);
  return record;
}
