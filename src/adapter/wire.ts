import { Buffer } from 'node:buffer';
import { encodePacket, type Packet } from '../protocol/socket-io/index.js';
import type { WireChunks } from './types.js';

/**
 * Encodes a packet for the wire once: the text part, then each attachment as a Buffer sharing the
 * caller's memory (no copy). The result is written unchanged to every recipient.
 */
export function toWireChunks(packet: Packet): WireChunks {
  const [text, ...attachments] = encodePacket(packet);
  if (attachments.length === 0) return [text];
  const chunks: (string | Buffer)[] = [text];
  for (const bytes of attachments) {
    chunks.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  return chunks;
}

/** Encodes packets for the wire: what socket.io-adapter's classes expect as `nsp.server.encoder`. */
export interface PacketEncoder {
  /** The wire chunks of `packet` (see {@link toWireChunks}). */
  encode(packet: Packet): WireChunks;
}

/** The encoder every server shares (it holds no state). */
export const WIRE_ENCODER: PacketEncoder = Object.freeze({ encode: toWireChunks });
