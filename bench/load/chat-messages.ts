import { constants, createDeflateRaw } from 'node:zlib';

const WORDS = (
  'the a to and of in is it you that for on with this are be at have not we can was do will just so ' +
  'but what all about if like get my out up one know time when how there your now see think good ' +
  'meeting tomorrow deploy build release review fixed broken merged ticket lunch coffee great thanks ' +
  'sounds please ok yes no maybe later today channel update question answer server client latency'
).split(' ');
const ROOMS = ['general', 'random', 'engineering', 'support', 'release-planning'];

/**
 * Chat-like JSON messages, the same on every run (a fixed pseudo-random sequence): a room, a sender,
 * 3 to 40 words of text, a timestamp and an id, the kind of traffic compression is meant for.
 */
export function chatMessages(count: number): string[] {
  let seed = 0x5eed;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const messages: string[] = [];
  for (let i = 0; i < count; i++) {
    const words = Array.from({ length: 3 + random(38) }, () => WORDS[random(WORDS.length)]!);
    messages.push(
      JSON.stringify({
        type: 'message',
        room: ROOMS[random(ROOMS.length)],
        from: `user-${random(500)}`,
        text: words.join(' '),
        sentAt: 1_763_769_600_000 + i * 1379,
        id: `m-${(i * 7919).toString(36)}`,
      }),
    );
  }
  return messages;
}

/** RFC 7692 §7.2.1: a compressed message drops the 00 00 ff ff that ends each sync flush. */
const FLUSH_TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Compresses the messages one after the other through a single DEFLATE stream (context takeover,
 * 15-bit window), flushing after each, as a permessage-deflate client would. Since each message
 * only refers back to the ones before it, the sequence can be sent again and again in a loop.
 */
export async function compressInSequence(messages: readonly string[]): Promise<Buffer[]> {
  const deflate = createDeflateRaw({ windowBits: 15 });
  const out: Buffer[] = [];
  let pending: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => pending.push(chunk));
  for (const message of messages) {
    deflate.write(Buffer.from(message, 'utf8'));
    await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    const compressed = Buffer.concat(pending);
    pending = [];
    if (!compressed.subarray(-4).equals(FLUSH_TRAILER)) throw new Error('a sync flush must end with 00 00 ff ff');
    out.push(compressed.subarray(0, -4));
  }
  deflate.close();
  return out;
}
