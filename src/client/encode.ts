/**
 * The client's writing of a packet (Socket.IO protocol v5):
 * `<type>[<attachments>-][<namespace>,][<ack id>][JSON payload]`, the text first, then one binary
 * attachment per entry. The server's encoder walks the data to find binary values, then copies it
 * with placeholders; here, for data that may hold binary values, one `JSON.stringify` pass does
 * both, its replacer swapping each binary value for its placeholder as it meets it — less code for
 * the page to load, same output. Plain data (the caller found none, see `contentsOf`) skips the
 * replacer, which makes `JSON.stringify` several times slower.
 */
import { PacketType, isBinary, type Packet } from '../protocol/socket-io/index.js';

/** The wire form of `packet`; `binary: false` when its data is known to hold no binary value. */
export function encodeMessage(packet: Packet, binary = true): [string, ...Uint8Array[]] {
  const attachments: Uint8Array[] = [];
  // Only EVENT and ACK carry attachments: as in the server's encoder, other payloads are plain JSON.
  const withAttachments = packet.type >= PacketType.Event;
  const json =
    packet.data === undefined
      ? ''
      : !binary
        ? JSON.stringify(packet.data)
        : JSON.stringify(packet.data, function (this: Record<string, unknown>, key, value: unknown) {
            // `value` is what `toJSON` made of the original, `this[key]`: a Node Buffer's would hide its bytes,
            // while another object's may return binary data.
            const original = this[key];
            const bytes = isBinary(original) ? original : value;
            if (!withAttachments || !isBinary(bytes)) return value;
            attachments.push(
              ArrayBuffer.isView(bytes)
                ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
                : new Uint8Array(bytes),
            );
            return { _placeholder: true, num: attachments.length - 1 };
          });
  const count = attachments.length;
  // With attachments, EVENT and ACK become BINARY_EVENT (5) and BINARY_ACK (6).
  const type = count ? `${packet.type + 3}${count}-` : String(packet.type);
  return [`${type}${packet.nsp === '/' ? '' : `${packet.nsp},`}${packet.id ?? ''}${json}`, ...attachments];
}
