/**
 * Helpers for the permessage-deflate tests: compressible sample payloads, an inflate budget that
 * records how much inflated output it held at most, messages compressed by hand and a reader of raw frames.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { InflateBudget } from '../../src/ws/index.js';
import { until } from './wait.js';

const WORDS = [
  'switchboard',
  'message',
  'room',
  'deflate',
  'window',
  'frame',
  'socket',
  'payload',
  'event',
  '{"id":',
  '"data":',
  '},',
];

/**
 * `size` bytes of JSON-ish text made of a small vocabulary: compressible like real traffic, and
 * different for each `seed`, so repeats across messages are partial.
 */
export function textLike(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let state = (seed * 2654435761 + 1) >>> 0;
  let filled = 0;
  while (filled < size) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const word = WORDS[(state >>> 16) % WORDS.length]!;
    const piece = (state & 7) === 0 ? `${word}${state % 1000} ` : `${word} `;
    filled += out.write(piece, filled, 'latin1');
  }
  return out;
}

/** An inflate budget (unlimited) that remembers the most inflated output its messages held at once. */
export class PeakInflateBudget extends InflateBudget {
  peak = 0;

  constructor() {
    super(Infinity);
  }

  override charge(...args: Parameters<InflateBudget['charge']>): boolean {
    const charged = super.charge(...args);
    this.peak = Math.max(this.peak, this.inflatingBytes);
    return charged;
  }
}

/**
 * `data` compressed as a permessage-deflate sender does it with a fresh context: raw DEFLATE ended by
 * a sync flush, whose final `00 00 ff ff` is removed (RFC 7692 §7.2.1).
 */
export function deflateMessage(data: Uint8Array): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** Inflates one message compressed with no context takeover (RFC 7692 §7.2.2: the trailer goes back first). */
export function inflateMessage(data: Uint8Array): Buffer {
  return inflateRawSync(Buffer.concat([data, Buffer.from([0x00, 0x00, 0xff, 0xff])]), {
    finishFlush: constants.Z_SYNC_FLUSH,
  });
}

/** A frame as read off the wire, RSV bits included. */
export interface WireFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * Collects the unmasked frames a server writes to `socket` from now on, RSV bits included, which
 * the frame parser under test would hide. `frames` fills as data arrives.
 */
export function collectServerFrames(socket: Socket): {
  frames: WireFrame[];
  waitFor(count: number, timeoutMs?: number): Promise<WireFrame[]>;
} {
  const frames: WireFrame[] = [];
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      const first = buffer[0]!;
      frames.push({
        fin: (first & 0x80) !== 0,
        rsv: first & 0x70,
        opcode: first & 0x0f,
        payload: Buffer.from(buffer.subarray(offset, offset + length)),
      });
      buffer = buffer.subarray(offset + length);
    }
  });
  return {
    frames,
    async waitFor(count, timeoutMs = 5000) {
      await until(
        () => frames.length >= count,
        timeoutMs,
        () => `${count} frames (got ${frames.length})`,
      );
      return frames;
    },
  };
}
