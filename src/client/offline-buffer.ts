import { encodePacket, type Packet } from '../protocol/socket-io/index.js';
import { blobBytes } from './blobs.js';
import { utf8Length } from './engine/payload-size.js';
import type { OfflineBufferOptions } from './options.js';

const sizes = new WeakMap<object, number>();

/** A packet's size on the wire: its JSON text as UTF-8 plus its binary attachments and Blobs (measured once). */
export function packetBytes(packet: Packet): number {
  let size = sizes.get(packet);
  if (size === undefined) {
    const [text, ...attachments] = encodePacket(packet);
    size = utf8Length(text) + blobBytes(packet.data);
    for (const attachment of attachments) size += attachment.byteLength;
    sizes.set(packet, size);
  }
  return size;
}

/**
 * `items` with `incoming` added within `limits`: the oldest evictable items make room for it. When
 * dropping all of them would not be enough, returns `undefined` and nothing is dropped: the caller
 * drops the incoming item, or answers its callback with an error. `items` itself is not altered.
 */
export function admit<T>(
  items: readonly T[],
  incoming: T,
  limits: Readonly<Required<OfflineBufferOptions>>,
  bytesOf: (item: T) => number,
  evictable: (item: T) => boolean,
): T[] | undefined {
  let count = items.length + 1;
  let bytes = bytesOf(incoming);
  for (const item of items) bytes += bytesOf(item);
  const fits = (): boolean => count <= limits.maxPackets && bytes <= limits.maxBytes;
  const dropped = new Set<T>();
  for (const item of items) {
    if (fits()) break;
    if (!evictable(item)) continue;
    dropped.add(item);
    count--;
    bytes -= bytesOf(item);
  }
  return fits() ? [...items.filter((item) => !dropped.has(item)), incoming] : undefined;
}
