/**
 * Blob and File arguments. Their bytes can only be read asynchronously (`blob.arrayBuffer()`), so
 * a packet that holds one is encoded once they are read; the manager keeps later packets waiting
 * behind it, so emit order holds.
 */

const isBlob = (value: unknown): value is Blob => typeof Blob !== 'undefined' && value instanceof Blob;

/** Arrays and plain objects, whose items may hold Blobs (binary data holds none). */
const isContainer = (value: unknown): value is object =>
  value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer);

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
