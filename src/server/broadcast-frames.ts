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
 *
 * The recipients of one broadcast ask in a row, so the last answer is kept aside too: they are
 * served by an identity check rather than a WeakMap lookup each. That slot is let go of once the
 * current job is done, so it never pins a broadcast's frames past it.
 */
export class BroadcastFrames {
  private readonly compressed = new WeakMap<WireChunks, readonly PreparedMessage[]>();
  private readonly uncompressed = new WeakMap<WireChunks, readonly PreparedMessage[]>();
  private lastChunks: WireChunks | undefined;
  private lastCompress = false;
  private lastMessages: readonly PreparedMessage[] = [];
  private readonly forgetLast = (): void => {
    this.lastChunks = undefined;
    this.lastMessages = [];
  };

  /** The prepared messages of `chunks`, made by the first recipient that asks for them. */
  messagesFor(chunks: WireChunks, compress: boolean): readonly PreparedMessage[] {
    if (chunks === this.lastChunks && compress === this.lastCompress && samePayloads(this.lastMessages, chunks)) {
      return this.lastMessages;
    }
    const store = compress ? this.compressed : this.uncompressed;
    let messages = store.get(chunks);
    if (messages === undefined || !samePayloads(messages, chunks)) {
      const options = compress ? COMPRESSION : NO_COMPRESSION;
      messages = chunks.map((chunk) => new PreparedMessage(chunk, options));
      store.set(chunks, messages);
    }
    if (this.lastChunks === undefined) queueMicrotask(this.forgetLast);
    this.lastChunks = chunks;
    this.lastCompress = compress;
    this.lastMessages = messages;
    return messages;
  }
}

/** Whether `messages` still carry `chunks` (an adapter may reuse one array for the next packet). */
function samePayloads(messages: readonly PreparedMessage[], chunks: WireChunks): boolean {
  if (messages.length !== chunks.length) return false;
  for (let i = 0; i < chunks.length; i++) if (messages[i]!.packet.data !== chunks[i]) return false;
  return true;
}
