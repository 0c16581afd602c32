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
  /** RSV bits a negotiated extension allows on the first frame of a data message (0x40 = RSV1). @default 0 */
  readonly messageRsvMask?: number;
  /** Bulk UTF-8 check, e.g. a native one from the host. @default the portable {@link isValidUtf8} */
  readonly isUtf8?: Utf8Check;
  /** Allocator for reassembled messages, e.g. `Buffer.allocUnsafe`. @default `new Uint8Array(size)` */
  readonly allocate?: (size: number) => Uint8Array;
}

/** Default `maxPayload`: 100 MiB, as `ws` has it. */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

const READ_HEADER = 0;
const READ_PAYLOAD = 1;
const STOPPED = 2;

const EMPTY = new Uint8Array(0);
/** Views of a message's pieces kept before small ones are joined (see `readPayload`). */
const COMPACT_PARTS = 1024;
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
 * Any split of the byte stream gives the same calls to the sink. Only a partial header (at most
 * 14 bytes) is copied between calls; payloads are unmasked in place and passed as views of the
 * input when a message arrives in one piece, so `receive` takes ownership of the buffers it is given.
 *
 * @example
 * const parser = new FrameParser(sink, { readsFrom: 'client', maxPayload: 1 << 20 });
 * socket.on('data', (chunk) => parser.receive(chunk));
 */
export class FrameParser {
  private state = READ_HEADER;
  private readonly expectMasked: boolean;
  private readonly maxPayload: number;
  private readonly messageRsvMask: number;
  private readonly isUtf8: Utf8Check;
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
  /** The pieces of the message being assembled; allocated when a message first comes in pieces. */
  private parts: Uint8Array[] | undefined;
  /** A message that arrived whole in one piece (the common case, which needs no `parts`). */
  private whole: Uint8Array | undefined;
  /** Bytes held in `parts`. */
  private partsBytes = 0;
  private validator: Utf8Validator | undefined;
  private validating = false;

  // A control frame's payload, when it arrives in pieces.
  private controlParts: Uint8Array[] | undefined;

  constructor(
    private readonly sink: FrameSink,
    options: FrameParserOptions,
  ) {
    this.expectMasked = options.readsFrom === 'client';
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.messageRsvMask = options.messageRsvMask ?? 0;
    this.isUtf8 = options.isUtf8 ?? isValidUtf8;
    this.allocate = options.allocate ?? defaultAllocate;
  }

  /** Whether the parser has stopped, after a close frame or a protocol error; later input is ignored. */
  get stopped(): boolean {
    return this.state === STOPPED;
  }

  /** Feeds the next bytes of the stream. */
  receive(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
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
      if (high > 0x7fffffff) return this.fail(ErrorCode.InvalidFrameLength, 'frame length has its most significant bit set');
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
        if (this.messageOpcode === 0) return this.fail(ErrorCode.UnexpectedContinuation, 'continuation frame with no message started');
        // RFC 7692 §6.1: extension bits go on the first frame of a message only.
        if (rsv !== 0) return this.fail(ErrorCode.ReservedBits, 'RSV bits set on a continuation frame');
      } else {
        if (this.messageOpcode !== 0) return this.fail(ErrorCode.ExpectedContinuation, 'new data frame inside a fragmented message');
        if ((rsv & ~this.messageRsvMask) !== 0) return this.fail(ErrorCode.ReservedBits, 'RSV bits set with no extension that defines them');
        this.messageOpcode = opcode;
        this.messageRsv = rsv;
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
    this.remaining -= n;

    if (this.opcode >= Opcode.Close) {
      (this.controlParts ??= []).push(piece);
    } else {
      if (this.fin && n === this.frameLength && this.parts === undefined) {
        // The usual case: a whole message in one piece of one chunk, kept without a parts list.
        this.whole = piece;
        this.completeFrame();
        return pos + n;
      }
      if (this.messageOpcode === Opcode.Text && this.messageRsv === 0) {
        // Fail as soon as the invalid byte arrives, not at the end of the message (Autobahn 6.4).
        this.validator ??= new Utf8Validator(this.isUtf8);
        this.validating = true;
        if (!this.validator.push(piece)) {
          this.fail(ErrorCode.InvalidUtf8, 'text message is not valid UTF-8');
          return end;
        }
      }
      const parts = (this.parts ??= []);
      parts.push(piece);
      this.partsBytes += piece.length;
      // A peer may send a message as a great many tiny fragments, and each view kept costs about
      // 100 bytes of heap whatever its size: 1-byte fragments would turn maxPayload into 100 times
      // as much memory. Once the views average under 64 bytes they are joined into one buffer;
      // each join copies at most 64 bytes per view it frees, so the work stays linear.
      if (parts.length >= COMPACT_PARTS && parts.length * 64 > this.partsBytes) {
        this.parts = [this.join(parts, this.partsBytes)];
      }
    }
    if (this.remaining === 0) this.completeFrame();
    return pos + n;
  }

  private completeFrame(): void {
    this.state = READ_HEADER;
    if (this.opcode >= Opcode.Close) {
      const payload = this.joinControl();
      if (this.opcode === Opcode.Ping) this.sink.onPing(payload);
      else if (this.opcode === Opcode.Pong) this.sink.onPong(payload);
      else this.readClose(payload);
      return;
    }
    if (!this.fin) return;

    const parts = this.parts;
    const data = this.whole ?? (parts === undefined ? EMPTY : parts.length === 1 ? parts[0]! : this.join(parts, this.messageLength));
    this.whole = undefined;
    const opcode = this.messageOpcode;
    const rsv = this.messageRsv;
    if (opcode === Opcode.Text && rsv === 0) {
      const valid = this.validating ? this.validator!.finish() : this.isUtf8(data);
      if (!valid) return this.fail(ErrorCode.InvalidUtf8, 'text message is not valid UTF-8');
    }
    this.messageOpcode = 0;
    this.messageRsv = 0;
    this.messageLength = 0;
    this.validating = false;
    if (parts !== undefined) {
      this.parts = undefined;
      this.partsBytes = 0;
    }
    this.sink.onMessage(data, opcode === Opcode.Binary, rsv);
  }

  private readClose(payload: Uint8Array): void {
    if (payload.length === 1) return this.fail(ErrorCode.InvalidClosePayload, 'close frame with a 1-byte payload');
    let code: number = CloseCode.NoStatusReceived;
    let reason = '';
    if (payload.length >= 2) {
      code = (payload[0]! << 8) | payload[1]!;
      if (!isValidWireCloseCode(code)) return this.fail(ErrorCode.InvalidCloseCode, `invalid close code ${code}`);
      const reasonBytes = payload.subarray(2);
      if (!this.isUtf8(reasonBytes)) return this.fail(ErrorCode.InvalidUtf8, 'close reason is not valid UTF-8');
      reason = textDecoder.decode(reasonBytes);
    }
    // RFC 6455 §5.5.1: after a close frame the peer sends no more data; anything that follows is ignored.
    this.state = STOPPED;
    this.sink.onClose(code, reason);
  }

  private joinControl(): Uint8Array {
    const parts = this.controlParts;
    if (parts === undefined) return EMPTY;
    this.controlParts = undefined;
    return parts.length === 1 ? parts[0]! : this.join(parts, this.frameLength);
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

  private fail(code: ErrorCode, message: string): void {
    this.state = STOPPED;
    this.parts = undefined;
    this.whole = undefined;
    this.partsBytes = 0;
    this.controlParts = undefined;
    this.sink.onError(new WebSocketError(code, message));
  }
}

const textDecoder = new TextDecoder();
