/**
 * How many packets of a write buffer fit in one polling POST under the server's `maxPayload`
 * (Engine.IO protocol v4, "Handshake": the largest payload the server accepts, in bytes).
 */
import type { Packet } from '../../protocol/engine-io/index.js';

/** UTF-8 bytes of `text`, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    // A high surrogate followed by a low one is one 4-byte sequence: 2 units, 2 bytes more.
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** Bytes `packet` takes in a polling payload: the type digit and its data, binary as `b` and base64. */
export function encodedPacketLength(packet: Packet): number {
  const data = packet.data;
  if (data === undefined) return 1;
  if (typeof data === 'string') return 1 + utf8Length(data);
  return 1 + 4 * Math.ceil(data.byteLength / 3);
}

/**
 * How many of `packets`, from the first, one payload of at most `maxPayload` bytes can carry: at
 * least one, so a packet larger than the limit still goes (alone), and the server refuses it as it
 * would refuse it from the official client.
 */
export function packetsThatFit(packets: readonly Packet[], maxPayload: number): number {
  let bytes = encodedPacketLength(packets[0]!);
  let count = 1;
  while (count < packets.length) {
    // The record separator is one byte.
    bytes += 1 + encodedPacketLength(packets[count]!);
    if (bytes > maxPayload) break;
    count++;
  }
  return count;
}
