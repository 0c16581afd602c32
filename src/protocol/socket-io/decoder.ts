import { checkInteger } from '../check-integer.js';
import { PacketDecoder, fail, type PacketHeader } from './packet-decoder.js';
import { PacketType, type Packet } from './packet.js';

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

/**
 * The server's Socket.IO decoder: a {@link PacketDecoder} with limits on what one client may make
 * it hold or walk (attachments, namespace length, nesting, arguments), each an option.
 *
 * @example
 * const decoder = new Decoder({ maxAttachments: 4 });
 * const packet = decoder.add('2/chat,7["message","hi"]');
 * // { type: 2, nsp: '/chat', id: 7, data: ['message', 'hi'] }
 */
export class Decoder extends PacketDecoder {
  /** One object for every decoder given the same resolved limits (a server's clients share theirs). */
  private readonly limits: ResolvedDecoderOptions;

  constructor(options: DecoderOptions = {}) {
    super();
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

  protected override checkHeader(text: string, { attachments, nsp, payloadStart }: PacketHeader): void {
    const { maxAttachments, maxNamespaceLength, maxNestingDepth } = this.limits;
    if (attachments > maxAttachments) {
      fail('TOO_MANY_ATTACHMENTS', `too many attachments (${attachments} > ${maxAttachments})`);
    }
    if (nsp.length > maxNamespaceLength) fail('INVALID_NAMESPACE', 'invalid namespace');
    // Nesting needs two characters per level, so shorter payloads cannot be too deep.
    if (text.length - payloadStart > 2 * maxNestingDepth && nestingExceeds(text, payloadStart, maxNestingDepth)) {
      fail('TOO_DEEP', `payload nested deeper than ${maxNestingDepth}`);
    }
  }

  protected override checkPacket(packet: Packet): void {
    const values = packet.data;
    if (!Array.isArray(values)) return;
    // An EVENT's name comes first; the rest are the listener's arguments.
    const event = packet.type === PacketType.Event || packet.type === PacketType.BinaryEvent;
    const { maxArguments } = this.limits;
    if (values.length - (event ? 1 : 0) > maxArguments) {
      fail('TOO_MANY_ARGUMENTS', `more than ${maxArguments} ${event ? 'arguments' : 'values'}`);
    }
  }

  protected override checkAttachmentBytes(bytes: number): void {
    const { maxAttachmentBytes } = this.limits;
    if (bytes <= maxAttachmentBytes) return;
    // Checked before the attachment is kept, and what was kept is let go of at once.
    this.pending = undefined;
    fail('ATTACHMENTS_TOO_LARGE', `attachments larger than ${maxAttachmentBytes} bytes`);
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
