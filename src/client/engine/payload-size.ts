/**
 * How many packets of a write buffer fit in one polling POST under the server's `maxPayload`
 * (Engine.IO protocol v4, "Handshake": the largest payload the server accepts, in bytes).
 */
import { wireOf, type Outgoing } from './transport.js';

/** UTF-8 bytes of `text`, without encoding it (a lone surrogate is encoded as U+FFFD: 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Bytes `packet` takes in a polling payload: binary as `b` and its base64. */
function payloadLength(packet: Outgoing): number {
  const wire = wireOf(packet);
  return typeof wire === 'string' ? utf8Length(wire) : 1 + 4 * Math.ceil(wire.length / 3);
}

/**
 * How many of `packets`, from the first, one payload of at most `maxPayload` bytes can carry: at
 * least one, so a packet larger than the limit still goes (alone), and the server refuses it as it
 * would refuse it from the official client.
 */
export function packetsThatFit(packets: readonly Outgoing[], maxPayload: number): number {
  let bytes = payloadLength(packets[0]!);
  let count = 1;
  // Each packet after the first also takes its one-byte record separator.
  while (count < packets.length && (bytes += 1 + payloadLength(packets[count]!)) <= maxPayload) count++;
  return count;
}
