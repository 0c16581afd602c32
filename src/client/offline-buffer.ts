import type { Packet } from '../protocol/socket-io/index.js';
import { blobsIn, Contents, contentsOf } from './blobs.js';
import { encodeMessage } from './encode.js';
import { utf8Length } from './engine/payload-size.js';

const sizes = new WeakMap<object, number>();

/** A packet's size on the wire: its JSON text as UTF-8 plus its binary attachments and Blobs (measured once). */
export function packetBytes(packet: Packet): number {
  let size = sizes.get(packet);
  if (size === undefined) {
    // As the manager will encode it: plain data by `JSON.stringify` alone, without the replacer.
    const contents = contentsOf(packet.data);
    const [text, ...attachments] = encodeMessage(packet, contents !== Contents.Json);
    size = utf8Length(text);
    if (contents === Contents.Blobs) for (const blob of blobsIn(packet.data)) size += blob.size;
    for (const attachment of attachments) size += attachment.byteLength;
    sizes.set(packet, size);
  }
  return size;
}
