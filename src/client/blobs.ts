/**
 * Blob and File arguments. Their bytes can only be read asynchronously (`blob.arrayBuffer()`), so
 * a packet that holds one is encoded once they are read; the manager keeps later packets waiting
 * behind it, so emit order holds.
 */

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer);
}

/** The items of an array or the values of a plain object. */
function childrenOf(value: object): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : Object.values(value);
}

/** Whether `value` holds a Blob anywhere in its arrays and plain objects. */
export function containsBlob(value: unknown): boolean {
  if (isBlob(value)) return true;
  if (!isContainer(value)) return false;
  return childrenOf(value).some(containsBlob);
}

/** Total size of the Blobs in `value`, in bytes. */
export function blobBytes(value: unknown): number {
  if (isBlob(value)) return value.size;
  if (!isContainer(value)) return 0;
  let total = 0;
  for (const item of childrenOf(value)) total += blobBytes(item);
  return total;
}

/** A copy of `value` with every Blob replaced by its bytes (a `Uint8Array`); the caller's objects are not altered. */
export async function readBlobs(value: unknown): Promise<unknown> {
  if (isBlob(value)) return new Uint8Array(await value.arrayBuffer());
  if (!isContainer(value) || !containsBlob(value)) return value;
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(readBlobs));
  const entries = await Promise.all(
    Object.entries(value).map(async ([key, item]) => [key, await readBlobs(item)] as const),
  );
  return Object.fromEntries(entries);
}
