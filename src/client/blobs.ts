/**
 * Blob and File arguments. Their bytes can only be read asynchronously (`blob.arrayBuffer()`), so
 * a packet that holds one is encoded once they are read; the manager keeps later packets waiting
 * behind it, so emit order holds.
 */
import { isBinary } from '../protocol/socket-io/index.js';

const isBlob = (value: unknown): value is Blob => typeof Blob !== 'undefined' && value instanceof Blob;

/** Arrays and plain objects, whose items may hold Blobs (binary data holds none). */
const isContainer = (value: unknown): value is object =>
  value !== null && typeof value === 'object' && !isBinary(value);

/** What an emit's data holds, as far as its encoding is concerned (see {@link contentsOf}). */
export const enum Contents {
  /** Plain JSON: encoded by one `JSON.stringify`, with no replacer. */
  Json,
  /** Binary data (`ArrayBuffer`, typed arrays, `Buffer`): sent as attachments. */
  Binary,
  /** A Blob or File: its bytes must be read (asynchronously) before it is encoded. */
  Blobs,
}

/**
 * What `value` holds, found by one walk that stops at the first Blob: an emit of plain data (the
 * usual case) is then encoded by `JSON.stringify` alone, several times faster than with the
 * replacer that finds binary values. Objects with a `toJSON` method are looked at through it, as
 * `JSON.stringify` will.
 */
export function contentsOf(value: unknown, viaToJson = false): Contents {
  if (value === null || typeof value !== 'object') return Contents.Json;
  if (isBlob(value)) return Contents.Blobs;
  if (!isContainer(value)) return Contents.Binary;
  const toJson = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function' && !viaToJson) return contentsOf(toJson.call(value), true);
  let found = Contents.Json;
  // An emit's data is an array: walked as it is, not copied.
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const contents = contentsOf(item);
    if (contents === Contents.Blobs) return contents;
    if (contents === Contents.Binary) found = contents;
  }
  return found;
}

/** The Blobs anywhere in `value`'s arrays and plain objects. */
export function blobsIn(value: unknown, found: Blob[] = []): Blob[] {
  if (isBlob(value)) found.push(value);
  else if (isContainer(value)) for (const item of Object.values(value)) blobsIn(item, found);
  return found;
}

/** A copy of `value` with every Blob replaced by its bytes (a `Uint8Array`); the caller's objects are not altered. */
export async function readBlobs(value: unknown): Promise<unknown> {
  if (isBlob(value)) return new Uint8Array(await value.arrayBuffer());
  if (!isContainer(value) || blobsIn(value).length === 0) return value;
  const entries = await Promise.all(
    Object.entries(value).map(async ([key, item]) => [key, await readBlobs(item)] as const),
  );
  return Array.isArray(value) ? entries.map((entry) => entry[1]) : Object.fromEntries(entries);
}
