import { checkInteger } from '../check-integer.js';
import { SocketIoParseError, type SocketIoErrorCode } from './errors.js';
import { PacketType, RESERVED_EVENTS, type Packet } from './packet.js';

/** Limits of the Socket.IO decoder. */
export interface DecoderOptions {
  /**
   * Most binary attachments one packet may announce.
   * @default 10
   */
  maxAttachments?: number;
  /**
   * Longest namespace name accepted, in characters (the leading `/` included).
   * @default 256
   */
  maxNamespaceLength?: number;
  /**
   * Deepest nesting of arrays and objects accepted in a payload. Bounds the recursion of every
   * later walk over the data (attachment placement, re-encoding an echo), which a payload nested
   * hundreds of thousands deep would otherwise overflow.
   * @default 128
   */
  maxNestingDepth?: number;
  /**
   * Most arguments an EVENT may carry after its name, and most values an ACK may carry. The
   * server calls listeners and acknowledgement callbacks with them as positional arguments, and
   * arguments live on the call stack: some hundred thousand would overflow it.
   * @default 1000
   */
  maxArguments?: number;
  /**
   * Most bytes the attachments of one binary packet may hold together. The decoder keeps them
   * until the last one arrives, so this bounds what one unfinished packet costs.
   * @default 1000000
   */
  maxAttachmentBytes?: number;
}

/** Default of {@link DecoderOptions.maxAttachments}. */
export const DEFAULT_MAX_ATTACHMENTS = 10;
/** Default of {@link DecoderOptions.maxNamespaceLength}. */
export const DEFAULT_MAX_NAMESPACE_LENGTH = 256;
/** Default of {@link DecoderOptions.maxNestingDepth}. */
export const DEFAULT_MAX_NESTING_DEPTH = 128;
/** Default of {@link DecoderOptions.maxArguments}. */
export const DEFAULT_MAX_ARGUMENTS = 1000;
/** Default of {@link DecoderOptions.maxAttachmentBytes}: the Engine.IO default largest message. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 1_000_000;

interface PendingBinary {
  packet: Packet;
  expected: number;
  buffers: unknown[];
  /** Bytes of `buffers`, together. */
  bytes: number;
}

/** {@link DecoderOptions} with every default filled in and every value checked. */
export type ResolvedDecoderOptions = Readonly<Required<DecoderOptions>>;

/** What {@link resolveDecoderOptions} made: a decoder given one takes it as is, without checking it again. */
const resolvedLimits = new WeakSet();

/**
 * {@link DecoderOptions} with defaults filled in, each checked once: a `TypeError` names the first
 * that is not a count the decoder can use.
 */
export function resolveDecoderOptions(options: DecoderOptions = {}): ResolvedDecoderOptions {
  const limits = Object.freeze({
    maxAttachments: checkInteger('maxAttachments', options.maxAttachments ?? DEFAULT_MAX_ATTACHMENTS, 0),
    maxNamespaceLength: checkInteger(
      'maxNamespaceLength',
      options.maxNamespaceLength ?? DEFAULT_MAX_NAMESPACE_LENGTH,
      1,
    ),
    maxNestingDepth: checkInteger('maxNestingDepth', options.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH, 1),
    maxArguments: checkInteger('maxArguments', options.maxArguments ?? DEFAULT_MAX_ARGUMENTS, 1),
    maxAttachmentBytes: checkInteger(
      'maxAttachmentBytes',
      options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES,
      1,
    ),
  });
  resolvedLimits.add(limits);
  return limits;
}

/*
 * Where a condition is the one socket.io-parser's decoder reports, its message is worded the same,
 * so that code matching the reference server's messages (`/Illegal attachments/`) keeps working.
 */
const ILLEGAL_ATTACHMENTS = 'Illegal attachments';

/** The part of a {@link SocketIoErrorCode} after `ERR_SIO_`. */
type ErrorName = SocketIoErrorCode extends `ERR_SIO_${infer Name}` ? Name : never;

// The codes are written without their common prefix: the client's browser bundle carries this decoder.
function fail(name: ErrorName, message: string): never {
  throw new SocketIoParseError(`ERR_SIO_${name}` as SocketIoErrorCode, message);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Decodes Socket.IO packets from the Engine.IO messages that carry them.
 *
 * Text messages hold a packet; a BINARY_EVENT or BINARY_ACK announces N attachments that follow
 * as the next N binary messages, after which the packet is returned with every placeholder
 * replaced by its attachment. Every malformed input throws a {@link SocketIoParseError}; after
 * one the decoder should be discarded together with the connection.
 *
 * @example
 * const decoder = new Decoder({ maxAttachments: 4 });
 * const packet = decoder.add('2/chat,7["message","hi"]');
 * // { type: 2, nsp: '/chat', id: 7, data: ['message', 'hi'] }
 */
export class Decoder {
  /** One object for every decoder given the same resolved limits (a server's clients share theirs). */
  private readonly limits: ResolvedDecoderOptions;
  private pending: PendingBinary | undefined;

  constructor(options: DecoderOptions = {}) {
    this.limits = resolvedLimits.has(options) ? (options as ResolvedDecoderOptions) : resolveDecoderOptions(options);
  }

  /** Whether a binary packet is still waiting for attachments. */
  get waitingForAttachments(): boolean {
    return this.pending !== undefined;
  }

  /** Bytes of the attachments held for a binary packet still waiting for the rest (0 when none waits). */
  get bufferedBytes(): number {
    return this.pending?.bytes ?? 0;
  }

  /**
   * Feeds one Engine.IO message. Returns the completed packet, or `undefined` while a binary
   * packet still waits for attachments. Binary messages are kept as given (a Buffer stays a Buffer).
   */
  add(message: string | ArrayBufferView | ArrayBuffer): Packet | undefined {
    if (typeof message === 'string') {
      if (this.pending) fail('UNEXPECTED_TEXT', 'got plaintext data when reconstructing a packet');
      const { packet, attachments } = this.decodeText(message);
      if (attachments === 0) return packet;
      this.pending = { packet, expected: attachments, buffers: [], bytes: 0 };
      return undefined;
    }
    const pending = this.pending;
    if (!pending) fail('UNEXPECTED_BINARY', 'got binary data when not reconstructing a packet');
    const bytes = pending.bytes + message.byteLength;
    if (bytes > this.limits.maxAttachmentBytes) {
      // Checked before the attachment is kept, and what was kept is let go of at once.
      this.pending = undefined;
      fail('ATTACHMENTS_TOO_LARGE', `attachments larger than ${this.limits.maxAttachmentBytes} bytes`);
    }
    pending.buffers.push(message);
    pending.bytes = bytes;
    if (pending.buffers.length < pending.expected) return undefined;
    this.pending = undefined;
    const used = new Array<boolean>(pending.expected).fill(false);
    pending.packet.data = reconstruct(pending.packet.data, pending.buffers, used);
    if (used.includes(false)) fail('ILLEGAL_PLACEHOLDER', 'an attachment is never referenced');
    return pending.packet;
  }

  /** Drops a half-received binary packet. */
  reset(): void {
    this.pending = undefined;
  }

  private decodeText(text: string): { packet: Packet; attachments: number } {
    const length = text.length;
    if (length === 0) fail('UNKNOWN_PACKET_TYPE', 'empty packet');
    const typeCode = text.charCodeAt(0) - 0x30;
    if (typeCode < PacketType.Connect || typeCode > PacketType.BinaryAck) {
      // A digit as socket.io-parser words it ("unknown packet type 9"); anything else quoted, as it may not print.
      const shown = typeCode >= 0 && typeCode <= 9 ? text[0] : JSON.stringify(text[0]);
      fail('UNKNOWN_PACKET_TYPE', `unknown packet type ${shown}`);
    }
    const type = typeCode as PacketType;
    let i = 1;
    let attachments = 0;
    const binary = type === PacketType.BinaryEvent || type === PacketType.BinaryAck;
    if (binary) {
      const start = i;
      while (i < length && isDigit(text.charCodeAt(i))) i++;
      if (i === start || i - start > 6 || text[i] !== '-') {
        fail('ILLEGAL_ATTACHMENTS', ILLEGAL_ATTACHMENTS);
      }
      attachments = Number(text.slice(start, i));
      if (attachments < 1) fail('ILLEGAL_ATTACHMENTS', ILLEGAL_ATTACHMENTS);
      if (attachments > this.limits.maxAttachments) {
        fail('TOO_MANY_ATTACHMENTS', `too many attachments (${attachments} > ${this.limits.maxAttachments})`);
      }
      i++;
    }
    let nsp = '/';
    if (text[i] === '/') {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? length : comma;
      nsp = text.slice(i, end);
      this.checkNamespace(nsp);
      i = comma === -1 ? length : comma + 1;
    }
    let id: number | undefined;
    if (i < length && isDigit(text.charCodeAt(i))) {
      const start = i;
      while (i < length && isDigit(text.charCodeAt(i))) i++;
      id = Number(text.slice(start, i));
      if (!Number.isSafeInteger(id)) fail('INVALID_ACK_ID', 'ack id out of range');
    }
    let data: unknown;
    const hasPayload = i < length;
    if (hasPayload) {
      // Nesting needs two characters per level, so shorter payloads cannot be too deep.
      if (length - i > 2 * this.limits.maxNestingDepth && nestingExceeds(text, i, this.limits.maxNestingDepth)) {
        fail('TOO_DEEP', `payload nested deeper than ${this.limits.maxNestingDepth}`);
      }
      try {
        data = JSON.parse(text.slice(i));
      } catch {
        fail('INVALID_JSON', 'payload is not valid JSON');
      }
    }
    this.checkPayload(type, hasPayload, data, id);
    const packet: Packet = { type, nsp };
    if (id !== undefined) packet.id = id;
    if (hasPayload) packet.data = data;
    return { packet, attachments };
  }

  private checkNamespace(nsp: string): void {
    if (nsp.length < 2 || nsp.length > this.limits.maxNamespaceLength) {
      fail('INVALID_NAMESPACE', 'invalid namespace');
    }
    for (let j = 0; j < nsp.length; j++) {
      const code = nsp.charCodeAt(j);
      if (code < 0x20 || code === 0x7f) fail('INVALID_NAMESPACE', 'invalid namespace');
    }
  }

  // Socket.IO protocol v5: the payload shape each packet type allows.
  private checkPayload(type: PacketType, hasPayload: boolean, data: unknown, id: number | undefined): void {
    switch (type) {
      case PacketType.Connect:
        if (hasPayload && !isPlainObject(data)) fail('INVALID_PAYLOAD', 'CONNECT payload must be an object');
        if (id !== undefined) fail('INVALID_ACK_ID', 'CONNECT takes no ack id');
        return;
      case PacketType.Disconnect:
        if (hasPayload) fail('INVALID_PAYLOAD', 'DISCONNECT takes no payload');
        if (id !== undefined) fail('INVALID_ACK_ID', 'DISCONNECT takes no ack id');
        return;
      case PacketType.ConnectError:
        if (!hasPayload || (typeof data !== 'string' && !isPlainObject(data))) {
          fail('INVALID_PAYLOAD', 'CONNECT_ERROR payload must be a string or an object');
        }
        if (id !== undefined) fail('INVALID_ACK_ID', 'CONNECT_ERROR takes no ack id');
        return;
      case PacketType.Event:
      case PacketType.BinaryEvent: {
        if (!Array.isArray(data) || data.length === 0) {
          fail('INVALID_PAYLOAD', 'EVENT payload must be a non-empty array');
        }
        // The name comes first; the rest are the listener's arguments.
        if (data.length - 1 > this.limits.maxArguments) {
          fail('TOO_MANY_ARGUMENTS', `more than ${this.limits.maxArguments} arguments`);
        }
        const name: unknown = data[0];
        if (typeof name === 'string') {
          if (RESERVED_EVENTS.has(name)) fail('RESERVED_EVENT_NAME', `"${name}" is a reserved event name`);
        } else if (typeof name !== 'number') {
          fail('INVALID_PAYLOAD', 'event name must be a string or a number');
        }
        return;
      }
      case PacketType.Ack:
      case PacketType.BinaryAck:
        if (!Array.isArray(data)) fail('INVALID_PAYLOAD', 'ACK payload must be an array');
        if (data.length > this.limits.maxArguments)
          fail('TOO_MANY_ARGUMENTS', `more than ${this.limits.maxArguments} values`);
        if (id === undefined) fail('INVALID_ACK_ID', 'ACK without an ack id');
        return;
    }
  }
}

/**
 * Tells whether the JSON text from `start` nests arrays and objects deeper than `max`. Brackets
 * inside strings do not count; the text need not be valid (JSON.parse judges that next).
 */
function nestingExceeds(text: string, start: number, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let j = start; j < text.length; j++) {
    const code = text.charCodeAt(j);
    if (inString) {
      if (code === 0x5c)
        j++; // backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > max) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Replaces placeholders by their attachments, marking each attachment used. */
function reconstruct(data: unknown, buffers: unknown[], used: boolean[]): unknown {
  if (data === null || typeof data !== 'object') return data;
  if (Array.isArray(data)) {
    for (let j = 0; j < data.length; j++) data[j] = reconstruct(data[j], buffers, used);
    return data;
  }
  const record = data as Record<string, unknown>;
  if (record._placeholder === true) {
    const num = record.num;
    if (typeof num !== 'number' || !Number.isInteger(num) || num < 0 || num >= buffers.length) {
      fail('ILLEGAL_PLACEHOLDER', 'placeholder names no attachment');
    }
    used[num] = true;
    return buffers[num];
  }
  for (const key of Object.keys(record)) record[key] = reconstruct(record[key], buffers, used);
  return record;
}
