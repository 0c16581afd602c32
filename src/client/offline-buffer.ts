import { encodePacket, type Packet } from '../protocol/socket-io/index.js';
import { blobBytes } from './blobs.js';
import type { OfflineBufferOptions } from './options.js';

/** Bytes of `text` as UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x800) {
      // A surrogate pair is 4 bytes for 2 code units; any other unit from U+0800 is 3 bytes for 1.
      bytes += code >= 0xd800 && code <= 0xdbff ? 1 : 2;
      if (code >= 0xd800 && code <= 0xdbff) i++;
    } else if (code >= 0x80) {
      bytes += 1;
    }
  }
  return bytes;
}

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

/** What {@link makeRoom} decided. */
export interface Room {
  /** Indices of the kept items to drop (oldest first). */
  readonly drop: readonly number[];
  /** Whether the incoming item is kept. */
  readonly keep: boolean;
}

/**
 * Decides how `incoming` joins `items` within `limits`: the oldest evictable items make room for
 * it; when dropping all of them would not be enough, nothing is dropped and the incoming item is
 * refused instead (the caller drops it, or answers its callback with an error).
 */
export function makeRoom<T>(
  items: readonly T[],
  incoming: T,
  limits: Readonly<Required<OfflineBufferOptions>>,
  bytesOf: (item: T) => number,
  evictable: (item: T) => boolean,
): Room {
  // The items fitted before `incoming` came (this function kept them so).
  let count = items.length + 1;
  let bytes = bytesOf(incoming);
  for (const item of items) bytes += bytesOf(item);
  const fits = (): boolean => count <= limits.maxPackets && bytes <= limits.maxBytes;
  if (fits()) return { drop: [], keep: true };
  const drop: number[] = [];
  for (let i = 0; i < items.length && !fits(); i++) {
    const item = items[i]!;
    if (!evictable(item)) continue;
    drop.push(i);
    count--;
    bytes -= bytesOf(item);
  }
  if (fits()) return { drop, keep: true };
  // Even without every older evictable item the incoming one does not fit; what was kept fitted before it came.
  return { drop: [], keep: false };
}
