import { PreparedMessage } from '../engine/index.js';
import type { WireChunks } from '../adapter/index.js';

/** Shared per-write options: the broadcast path allocates nothing per recipient. */
export const COMPRESSION = Object.freeze({ compress: true });
/** See {@link COMPRESSION}. */
export const NO_COMPRESSION = Object.freeze({ compress: false });

/**
 * @internal The messages a server's broadcasts write, kept with the wire chunks each broadcast
 * hands to every recipient in turn: the first recipient prepares them, the others write the same
 * messages (so every WebSocket client writes the same frame bytes).
 *
 * The chunks array is the broadcast's own, so it scopes the entry: the messages live as long as
 * the broadcast holds its chunks, whatever the order in which an adapter walks its recipients,
 * and go with them, with nothing to reset. Each server has its own store, so the frames of two
 * servers are never shared.
 */
export class BroadcastFrames {
  private readonly compressed = new WeakMap<WireChunks, readonly PreparedMessage[]>();
  private readonly uncompressed = new WeakMap<WireChunks, readonly PreparedMessage[]>();

  /** The prepared messages of `chunks`, made by the first recipient that asks for them. */
  messagesFor(chunks: WireChunks, compress: boolean): readonly PreparedMessage[] {
    const store = compress ? this.compressed : this.uncompressed;
    const known = store.get(chunks);
    if (known !== undefined && samePayloads(known, chunks)) return known;
    const options = compress ? COMPRESSION : NO_COMPRESSION;
    const messages = chunks.map((chunk) => new PreparedMessage(chunk, options));
    store.set(chunks, messages);
    return messages;
  }
}

/** Whether `messages` still carry `chunks` (an adapter may reuse one array for the next packet). */
function samePayloads(messages: readonly PreparedMessage[], chunks: WireChunks): boolean {
  if (messages.length !== chunks.length) return false;
  for (let i = 0; i < chunks.length; i++) if (messages[i]!.packet.data !== chunks[i]) return false;
  return true;
}
