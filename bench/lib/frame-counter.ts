const HEADER = 0;
const PAYLOAD = 1;
/** Opcodes from 0x8 up are control frames (RFC 6455 §5.5). */
const CONTROL = 0x8;

/**
 * Walks the frame headers of a byte stream (RFC 6455 §5.2) to count whole data frames without
 * decoding their payloads, which is all a load generator needs from the echoes it receives.
 * Control frames (a server's heartbeat pings) are walked over but not counted. It can also hand
 * over the first `prefixLength` bytes of each data payload (zero-filled when shorter), for timestamps
 * embedded by the sender.
 * Any split of the stream gives the same counts.
 */
export class FrameCounter {
  /** Data frames completed so far. */
  frames = 0;
  /** Payload bytes of the data frames started so far. */
  payloadBytes = 0;

  private state = HEADER;
  private readonly header = new Uint8Array(14);
  private headerFill = 0;
  private remaining = 0;
  private readonly prefix: Uint8Array;
  private prefixFill = 0;
  private opcode = 0;

  constructor(
    private readonly prefixLength = 0,
    private readonly onFrame?: (prefix: Uint8Array) => void,
  ) {
    this.prefix = new Uint8Array(prefixLength);
  }

  /** Feeds the next bytes; returns how many data frames they completed. */
  push(chunk: Uint8Array): number {
    const end = chunk.length;
    let pos = 0;
    let completed = 0;
    while (pos < end) {
      if (this.state === HEADER) {
        let bytes: Uint8Array;
        let at: number;
        if (this.headerFill === 0 && end - pos >= 2 && end - pos >= headerSize(chunk[pos + 1]!)) {
          bytes = chunk;
          at = pos;
          pos += headerSize(chunk[pos + 1]!);
        } else {
          // The header straddles chunks: gather it first.
          while (this.headerFill < 2 && pos < end) this.header[this.headerFill++] = chunk[pos++]!;
          if (this.headerFill < 2) break;
          const size = headerSize(this.header[1]!);
          while (this.headerFill < size && pos < end) this.header[this.headerFill++] = chunk[pos++]!;
          if (this.headerFill < size) break;
          this.headerFill = 0;
          bytes = this.header;
          at = 0;
        }
        const length = payloadLength(bytes, at);
        this.opcode = bytes[at]! & 0x0f;
        if (this.opcode < CONTROL) this.payloadBytes += length;
        this.prefixFill = 0;
        if (length === 0) {
          if (this.complete()) completed++;
        } else {
          this.remaining = length;
          this.state = PAYLOAD;
        }
      } else {
        const n = this.remaining < end - pos ? this.remaining : end - pos;
        if (this.prefixFill < this.prefixLength && this.opcode < CONTROL) {
          const take = Math.min(n, this.prefixLength - this.prefixFill);
          for (let i = 0; i < take; i++) this.prefix[this.prefixFill++] = chunk[pos + i]!;
        }
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.state = HEADER;
          if (this.complete()) completed++;
        }
      }
    }
    return completed;
  }

  /** Ends the current frame; answers whether it was a data frame. */
  private complete(): boolean {
    if (this.opcode >= CONTROL) return false;
    this.frames++;
    // A payload shorter than the prefix leaves zeros, not bytes of an earlier frame.
    if (this.prefixFill < this.prefixLength) this.prefix.fill(0, this.prefixFill);
    this.onFrame?.(this.prefix);
    return true;
  }
}

/** 2 bytes, plus 2 or 8 of extended length, plus 4 of masking key when the mask bit is set. */
function headerSize(second: number): number {
  const length = second & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
}

function payloadLength(bytes: Uint8Array, at: number): number {
  const length = bytes[at + 1]! & 0x7f;
  if (length === 126) return (bytes[at + 2]! << 8) | bytes[at + 3]!;
  if (length === 127) {
    const high = ((bytes[at + 2]! << 24) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!) >>> 0;
    const low = ((bytes[at + 6]! << 24) | (bytes[at + 7]! << 16) | (bytes[at + 8]! << 8) | bytes[at + 9]!) >>> 0;
    return high * 0x100000000 + low;
  }
  return length;
}
