import { checkIntegerOrInfinity } from './check-integer.js';
import { isValidWireCloseCode, CloseCode } from './close-codes.js';
import { ErrorCode, WebSocketError } from './errors.js';
import { applyMaskWord } from './mask.js';
import { Opcode, isKnownOpcode } from './opcodes.js';
import { Utf8Validator, isValidUtf8, type Utf8Check } from './utf8.js';

/** What a {@link FrameParser} reports, called synchronously from {@link FrameParser.receive}. */
export interface FrameSink {
  /**
   * A complete data message. `data` may be a view into a buffer given to `receive`, unmasked in
   * place. `rsv` holds the RSV bits of the message's first frame (0x40 is RSV1), which only an
   * extension allowed through `messageRsvMask` can set; text with RSV bits set is not UTF-8
   * checked here, since its bytes are the extension's encoding, not text.
   */
  onMessage(data: Uint8Array, isBinary: boolean, rsv: number): void;
  onPing(data: Uint8Array): void;
  onPong(data: Uint8Array): void;
  /** The peer's close frame; `code` is 1005 when the frame carried none (RFC 6455 §7.1.5). */
  onClose(code: number, reason: string): void;
  /** The peer broke the protocol; the parser ignores all further input. */
  onError(error: WebSocketError): void;
}

/** Options of a {@link FrameParser}. */
export interface FrameParserOptions {
  /** Whose frames this parser reads: a server reads a client's (which must be masked, §5.1). */
  readonly readsFrom: 'client' | 'server';
  /** Largest message in bytes, summed over its fragments; a larger one fails with 1009. @default 104857600 */
  readonly maxPayload?: number;
  /**
   * Most frames one data message may span, its first frame included; the frame past it fails the
   * connection with 1008 (`ERR_TOO_MANY_FRAGMENTS`). A positive integer, or `Infinity` for no limit.
   * @default 16384
   */
  readonly maxFragments?: number;
  /** RSV bits a negotiated extension allows on the first frame of a data message (0x40 = RSV1). @default 0 */
  readonly messageRsvMask?: number;
  /** Bulk UTF-8 check, e.g. a native one from the host. @default the portable {@link isValidUtf8} */
  readonly isUtf8?: Utf8Check;
  /**
   * Check that text messages and close reasons are UTF-8 (RFC 6455 §8.1), failing with 1007
   * otherwise. Turning it off (`ws`'s `skipUTF8Validation`) is for peers trusted to send valid text.
   * @default true
   */
  readonly validateUtf8?: boolean;
  /** Allocator for reassembled messages, e.g. `Buffer.allocUnsafe`. @default `new Uint8Array(size)` */
  readonly allocate?: (size: number) => Uint8Array;
}

/** Default `maxPayload`: 100 MiB, as `ws` has it. */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

/** Default `maxFragments`: 16,384 frames per message, the limit `ws` users meet. */
export const DEFAULT_MAX_FRAGMENTS = 16_384;

/**
 * Checks a `maxFragments` value: a positive integer, or `Infinity` for no limit. Zero is refused
 * rather than read as "no limit": every message spans at least one frame, and a zero that quietly
 * meant the opposite of what it says would hide a mistake.
 *
 * @throws TypeError for any other value.
 */
export function checkMaxFragments(value: number): number {
  return checkIntegerOrInfinity('maxFragments', value, 1);
}

const READ_HEADER = 0;
const READ_PAYLOAD = 1;
const STOPPED = 2;

const EMPTY = new Uint8Array(0);
/** Smallest piece of a message kept as a view of its chunk rather than copied (see `store`). */
const MIN_VIEW = 1024;
/** Room added whenever the accumulator of copied pieces grows, so tiny pieces do not start tiny buffers (see `store`). */
const ACCUMULATOR_HEADROOM = 256;
const RSV_BITS = 0x70;

/** Header size given its second byte: 2, plus 2 or 8 for an extended length, plus 4 for a masking key. */
function headerSize(secondByte: number): number {
  const length = secondByte & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (secondByte & 0x80 ? 4 : 0);
}

function defaultAllocate(size: number): Uint8Array {
  return new Uint8Array(size);
}

/**
 * Incremental WebSocket frame parser (RFC 6455 §5): bytes in, messages and control frames out.
 *
 * Any split of the byte stream gives the same calls to the sink. Payloads are unmasked in place
 * and passed as views of the input when a message arrives in one piece, so `receive` takes
 * ownership of the buffers it is given. A message in pieces costs memory in proportion to its
 * bytes, never to its number of frames or chunks (see {@link FrameParser.bufferedBytes}).
 *
 * @example
 * const parser = new FrameParser(sink, { readsFrom: 'client', maxPayload: 1 << 20 });
 * socket.on('data', (chunk) => parser.receive(chunk));
 */
export class FrameParser {
  private state = READ_HEADER;
  private readonly expectMasked: boolean;
  private readonly maxPayload: number;
  private readonly maxFragments: number;
  private readonly messageRsvMask: number;
  private readonly isUtf8: Utf8Check;
  private readonly validateUtf8: boolean;
  private readonly allocate: (size: number) => Uint8Array;

  /** A header that straddles two chunks, gathered here; allocated the first time one does. */
  private header: Uint8Array | undefined;
  private headerFill = 0;

  // The frame being read.
  private opcode = 0;
  private fin = false;
  private masked = false;
  /** The masking key of the frame being read, as a key word (see `maskKeyWord`). */
  private maskKey = 0;
  private maskPhase = 0;
  private frameLength = 0;
  private remaining = 0;

  // The data message being assembled (its opcode is 0 between messages).
  private messageOpcode = 0;
  private messageRsv = 0;
  private messageLength = 0;
  /** Frames the message has spanned so far, checked against `maxFragments`. */
  private messageFrames = 0;
  /** A message that arrived whole in one piece (the common case, which keeps nothing else). */
  private whole: Uint8Array | undefined;
  /**
   * The pieces of a message in pieces, in order, kept as they are: views of large pieces of input,
   * and accumulators already filled (see `store`). Allocated when a message first needs one.
   */
  private parts: Uint8Array[] | undefined;
  /** Bytes of the message in `parts`. */
  private partsBytes = 0;
  /** Bytes of memory `parts` keeps alive: whole input chunks for views, whole allocations for accumulators. */
  private partsHeld = 0;
  /** Where small pieces are copied, in order after `parts`; its first `accumulated` bytes are filled. */
  private accumulator: Uint8Array | undefined;
  private accumulated = 0;
  private validator: Utf8Validator | undefined;
  private validating = false;
  /**
   * Input not parsed yet because the sink paused the parser (see {@link pause}), in order;
   * `undefined` while the parser runs.
   */
  private held: Uint8Array[] | undefined;

  /** A control frame's payload: a view when it arrives whole, else a copy filled as it comes. */
  private control: Uint8Array | undefined;

  constructor(
    private readonly sink: FrameSink,
    options: FrameParserOptions,
  ) {
    this.expectMasked = options.readsFrom === 'client';
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.maxFragments = checkMaxFragments(options.maxFragments ?? DEFAULT_MAX_FRAGMENTS);
    this.messageRsvMask = options.messageRsvMask ?? 0;
    this.isUtf8 = options.isUtf8 ?? isValidUtf8;
    this.validateUtf8 = options.validateUtf8 ?? true;
    this.allocate = options.allocate ?? defaultAllocate;
  }

  /** Whether the parser has stopped, after a close frame or a protocol error; later input is ignored. */
  get stopped(): boolean {
    return this.state === STOPPED;
  }

  /**
   * Bytes of memory the parser keeps between calls to {@link receive}: the pieces of a message or
   * control frame still incomplete, counting for each view the whole buffer it keeps alive, and the
   * space for a split header. It stays within about 2.5 times the bytes of the incomplete message
   * received so far, plus a few hundred bytes, however the peer fragments it and however the
   * transport chunks it.
   */
  get bufferedBytes(): number {
    let held = 0;
    if (this.held !== undefined) for (const chunk of this.held) held += chunk.length;
    return (
      this.partsHeld + (this.accumulator?.length ?? 0) + (this.control?.length ?? 0) + (this.header?.length ?? 0) + held
    );
  }

  /** Whether the sink paused the parser (see {@link pause}). */
  get paused(): boolean {
    return this.held !== undefined;
  }

  /** Feeds the next bytes of the stream; while paused, they are kept for {@link resume}. */
  receive(chunk: Uint8Array): void {
    if (this.held !== undefined) {
      if (this.state !== STOPPED) this.held.push(chunk);
      return;
    }
    this.parse(chunk);
  }

  /**
   * Stops parsing after the event being reported, from inside a sink callback: the rest of the
   * input is kept, unparsed, until {@link resume}. For a host whose handling of a message is
   * asynchronous (permessage-deflate inflation) and must finish before anything after it is even
   * looked at: a close frame that followed the message is then answered only after the
   * application has seen the message, as if the frames had arrived one by one.
   */
  pause(): void {
    if (this.state !== STOPPED) this.held ??= [];
  }

  /** Parses the input kept since {@link pause}, unless the sink pauses again on the way. */
  resume(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    for (let i = 0; i < held.length; i++) {
      this.parse(held[i]!);
      if (this.paused) {
        // Paused again: what was not reached yet stays behind what parse() kept of this chunk.
        for (let j = i + 1; j < held.length; j++) this.receive(held[j]!);
        return;
      }
    }
  }

  private parse(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.held !== undefined) {
        if (this.state !== STOPPED) this.held.push(pos === 0 ? chunk : chunk.subarray(pos));
        return;
      }
      if (this.state === READ_HEADER) pos = this.readHeader(chunk, pos, end);
      else if (this.state === READ_PAYLOAD) pos = this.readPayload(chunk, pos, end);
      else return;
    }
  }

  private readHeader(chunk: Uint8Array, pos: number, end: number): number {
    if (this.headerFill === 0 && end - pos >= 2) {
      const size = headerSize(chunk[pos + 1]!);
      if (end - pos >= size) {
        this.parseHeader(chunk, pos);
        return pos + size;
      }
    }
    // The header straddles chunks: gather it in `this.header`.
    const header = (this.header ??= new Uint8Array(14));
    while (this.headerFill < 2) {
      if (pos === end) return pos;
      header[this.headerFill++] = chunk[pos++]!;
    }
    const size = headerSize(header[1]!);
    while (this.headerFill < size) {
      if (pos === end) return pos;
      header[this.headerFill++] = chunk[pos++]!;
    }
    this.headerFill = 0;
    this.parseHeader(header, 0);
    return pos;
  }

  private parseHeader(bytes: Uint8Array, at: number): void {
    const first = bytes[at]!;
    const second = bytes[at + 1]!;
    const fin = (first & 0x80) !== 0;
    const rsv = first & RSV_BITS;
    const opcode = first & 0x0f;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let p = at + 2;
    if (length === 126) {
      length = (bytes[p]! << 8) | bytes[p + 1]!;
      p += 2;
    } else if (length === 127) {
      const high = ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0;
      // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
      if (high > 0x7fffffff)
        return this.fail(ErrorCode.InvalidFrameLength, 'frame length has its most significant bit set');
      const low = ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!) >>> 0;
      length = high * 0x100000000 + low;
      p += 8;
    }
    // RFC 6455 §5.1: clients mask every frame, servers never do.
    if (masked !== this.expectMasked) {
      return masked
        ? this.fail(ErrorCode.MaskedServerFrame, 'server frames must not be masked')
        : this.fail(ErrorCode.UnmaskedClientFrame, 'client frames must be masked');
    }
    if (masked) {
      // As a signed 32-bit value, which V8 keeps inline in the object rather than boxed.
      this.maskKey = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    }
    if (!isKnownOpcode(opcode)) return this.fail(ErrorCode.ReservedOpcode, `reserved opcode 0x${opcode.toString(16)}`);

    if (opcode >= Opcode.Close) {
      // RFC 6455 §5.5: control frames carry no extension bits, are never fragmented, and hold at most 125 bytes.
      if (rsv !== 0) return this.fail(ErrorCode.ReservedBits, 'RSV bits set on a control frame');
      if (!fin) return this.fail(ErrorCode.FragmentedControlFrame, 'fragmented control frame');
      if (length > 125) return this.fail(ErrorCode.ControlFrameTooLong, 'control frame payload over 125 bytes');
    } else {
      if (opcode === Opcode.Continuation) {
        if (this.messageOpcode === 0)
          return this.fail(ErrorCode.UnexpectedContinuation, 'continuation frame with no message started');
        // RFC 7692 §6.1: extension bits go on the first frame of a message only.
        if (rsv !== 0) return this.fail(ErrorCode.ReservedBits, 'RSV bits set on a continuation frame');
        // RFC 6455 §10.4 has endpoints protect themselves with limits of their own; a frame costs
        // work whatever it carries, so frames are counted, not only bytes. Going past such a limit
        // is a policy violation (§7.4.1: 1008), not an oversized message.
        if (++this.messageFrames > this.maxFragments) {
          return this.fail(
            ErrorCode.TooManyFragments,
            `message spans more than maxFragments (${this.maxFragments}) frames`,
          );
        }
      } else {
        if (this.messageOpcode !== 0)
          return this.fail(ErrorCode.ExpectedContinuation, 'new data frame inside a fragmented message');
        if ((rsv & ~this.messageRsvMask) !== 0)
          return this.fail(ErrorCode.ReservedBits, 'RSV bits set with no extension that defines them');
        this.messageOpcode = opcode;
        this.messageRsv = rsv;
        this.messageFrames = 1;
      }
      // Checked from the header, before any of the payload is buffered.
      if (length > this.maxPayload - this.messageLength) {
        return this.fail(ErrorCode.MessageTooBig, `message exceeds maxPayload (${this.maxPayload} bytes)`);
      }
      this.messageLength += length;
    }

    this.opcode = opcode;
    this.fin = fin;
    this.masked = masked;
    this.maskPhase = 0;
    this.frameLength = length;
    this.remaining = length;
    if (length === 0) this.completeFrame();
    else this.state = READ_PAYLOAD;
  }

  private readPayload(chunk: Uint8Array, pos: number, end: number): number {
    const n = this.remaining <= end - pos ? this.remaining : end - pos;
    const piece = pos === 0 && n === end ? chunk : chunk.subarray(pos, pos + n);
    if (this.masked) applyMaskWord(piece, this.maskKey, this.maskPhase);
    this.maskPhase = (this.maskPhase + n) & 3;
    const offset = this.frameLength - this.remaining;
    this.remaining -= n;

    if (this.opcode >= Opcode.Close) {
      if (n === this.frameLength) this.control = piece;
      else (this.control ??= this.allocate(this.frameLength)).set(piece, offset);
    } else {
      // The message length so far is this frame's: no earlier frame of the message carried bytes.
      if (this.fin && n === this.frameLength && this.messageLength === n) {
        // The usual case: a whole message in one piece of one chunk, handed on as a view of it.
        this.whole = piece;
        this.completeFrame();
        return pos + n;
      }
      if (this.messageOpcode === Opcode.Text && this.messageRsv === 0 && this.validateUtf8) {
        // Fail as soon as the invalid byte arrives, not at the end of the message (Autobahn 6.4).
        this.validator ??= new Utf8Validator(this.isUtf8);
        this.validating = true;
        if (!this.validator.push(piece)) {
          this.fail(ErrorCode.InvalidUtf8, 'text message is not valid UTF-8');
          return end;
        }
      }
      this.store(piece);
    }
    if (this.remaining === 0) this.completeFrame();
    return pos + n;
  }

  private completeFrame(): void {
    this.state = READ_HEADER;
    if (this.opcode >= Opcode.Close) {
      const payload = this.takeControl();
      if (this.opcode === Opcode.Ping) this.sink.onPing(payload);
      else if (this.opcode === Opcode.Pong) this.sink.onPong(payload);
      else this.readClose(payload);
      return;
    }
    if (!this.fin) return;

    const data = this.whole ?? this.assemble();
    this.whole = undefined;
    const opcode = this.messageOpcode;
    const rsv = this.messageRsv;
    if (opcode === Opcode.Text && rsv === 0 && this.validateUtf8) {
      const valid = this.validating ? this.validator!.finish() : this.isUtf8(data);
      if (!valid) return this.fail(ErrorCode.InvalidUtf8, 'text message is not valid UTF-8');
    }
    this.messageOpcode = 0;
    this.messageRsv = 0;
    this.messageLength = 0;
    this.validating = false;
    this.dropPieces();
    this.sink.onMessage(data, opcode === Opcode.Binary, rsv);
  }

  /**
   * Keeps a piece of a message that arrives in several, so that what the parser holds follows the
   * bytes received, not the number of pieces: a peer may send a message as thousands of 1-byte
   * fragments, and a view of each would cost about 100 bytes of heap and keep its whole socket
   * chunk alive. A piece is kept as a view only when it is large and makes up at least half of the
   * buffer it keeps alive; the others are copied into the accumulator. When full, the accumulator
   * grows to twice what it must hold (plus a little, so tiny pieces do not start with tiny
   * buffers): each byte is copied a bounded number of times, so the work stays linear in the
   * message's bytes. It never grows past what the message can still need (its declared rest once
   * the final frame is announced, `maxPayload` before), nor past twice what has arrived: a frame
   * header can announce any length, and nothing is reserved for bytes that are only announced.
   */
  private store(piece: Uint8Array): void {
    const n = piece.length;
    const filled = this.accumulated;
    if (n >= MIN_VIEW && n * 2 >= piece.buffer.byteLength) {
      const parts = (this.parts ??= []);
      if (filled !== 0) {
        // The copies so far go first, to keep the order of the bytes.
        parts.push(this.accumulator!.subarray(0, filled));
        this.partsBytes += filled;
        this.partsHeld += this.accumulator!.length;
        this.accumulator = undefined;
        this.accumulated = 0;
      }
      parts.push(piece);
      this.partsBytes += n;
      this.partsHeld += piece.buffer.byteLength;
      return;
    }
    const needed = filled + n;
    let accumulator = this.accumulator;
    if (accumulator === undefined || needed > accumulator.length) {
      const ceiling = (this.fin ? this.messageLength : this.maxPayload) - this.partsBytes;
      const grown = this.allocate(Math.min(ceiling, 2 * needed + ACCUMULATOR_HEADROOM));
      if (filled !== 0) grown.set(accumulator!.subarray(0, filled));
      this.accumulator = accumulator = grown;
    }
    accumulator.set(piece, filled);
    this.accumulated = needed;
  }

  /** The whole message from its stored pieces: copied once when there are several, else as it is. */
  private assemble(): Uint8Array {
    const accumulator = this.accumulator;
    const copied =
      accumulator === undefined
        ? EMPTY
        : accumulator.length === this.accumulated
          ? accumulator
          : accumulator.subarray(0, this.accumulated);
    const parts = this.parts;
    if (parts === undefined) return copied;
    if (copied.length !== 0) parts.push(copied);
    return parts.length === 1 ? parts[0]! : this.join(parts, this.messageLength);
  }

  private dropPieces(): void {
    this.parts = undefined;
    this.partsBytes = 0;
    this.partsHeld = 0;
    this.accumulator = undefined;
    this.accumulated = 0;
  }

  private readClose(payload: Uint8Array): void {
    if (payload.length === 1) return this.fail(ErrorCode.InvalidClosePayload, 'close frame with a 1-byte payload');
    let code: number = CloseCode.NoStatusReceived;
    let reason = '';
    if (payload.length >= 2) {
      code = (payload[0]! << 8) | payload[1]!;
      if (!isValidWireCloseCode(code)) return this.fail(ErrorCode.InvalidCloseCode, `invalid close code ${code}`);
      const reasonBytes = payload.subarray(2);
      if (this.validateUtf8 && !this.isUtf8(reasonBytes))
        return this.fail(ErrorCode.InvalidUtf8, 'close reason is not valid UTF-8');
      reason = textDecoder.decode(reasonBytes);
    }
    // RFC 6455 §5.5.1: after a close frame the peer sends no more data; anything that follows is ignored.
    this.state = STOPPED;
    this.sink.onClose(code, reason);
  }

  private takeControl(): Uint8Array {
    const payload = this.control;
    if (payload === undefined) return EMPTY;
    this.control = undefined;
    return payload;
  }

  private join(parts: Uint8Array[], length: number): Uint8Array {
    const joined = this.allocate(length);
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return joined;
  }

  /**
   * Stops reading for good: what the parser held of an incomplete message, control frame or header
   * is let go of at once, and later input is ignored. For a transport that closed mid-message, so
   * that a connection kept by the application afterwards holds none of it.
   */
  stop(): void {
    this.state = STOPPED;
    this.held = undefined;
    this.whole = undefined;
    this.dropPieces();
    this.control = undefined;
    this.header = undefined;
    this.headerFill = 0;
    this.validator = undefined;
  }

  private fail(code: ErrorCode, message: string): void {
    this.stop();
    this.sink.onError(new WebSocketError(code, message));
  }
}

const textDecoder = new TextDecoder();
