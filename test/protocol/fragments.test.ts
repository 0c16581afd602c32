/**
 * RFC 6455 §5.4 fragmentation under a hostile peer: how many frames one message may span
 * (`maxFragments`, 1008), and what a message in pieces costs the parser — memory in proportion
 * to its bytes and linear work, however finely it is fragmented or chunked.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CloseCode,
  Connection,
  DEFAULT_MAX_FRAGMENTS,
  ErrorCode,
  FrameParser,
  Opcode,
  type ConnectionHandler,
  type FrameSink,
} from '../../src/protocol/index.js';
import { PEERS, RecordingSink, errorEvent, messageEvent, recordingParser, type Peer } from '../helpers/frames.js';

/** The frames of one binary message cut into `count` fragments of `size` bytes, byte i being `i & 0xff`. */
function fragmentedMessage(peer: Peer, count: number, size = 1): { frames: Uint8Array[]; payload: Uint8Array } {
  const payload = Uint8Array.from({ length: count * size }, (_, i) => i & 0xff);
  const frames = Array.from({ length: count }, (_, i) =>
    peer.frame(i === 0 ? Opcode.Binary : Opcode.Continuation, payload.subarray(i * size, (i + 1) * size), {
      fin: i === count - 1,
    }),
  );
  return { frames, payload };
}

/** `stream` cut into chunks of `size` bytes, each in a buffer of its own, as a socket hands them over. */
function ownChunks(stream: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  // Copies: the parser unmasks in place, and Buffer#slice would share the stream's memory.
  for (let pos = 0; pos < stream.length; pos += size) chunks.push(Uint8Array.from(stream.subarray(pos, pos + size)));
  return chunks;
}

/** An allocator that records what it hands out. */
function countingAllocator(): { allocate: (size: number) => Uint8Array; sizes: number[]; total(): number } {
  const sizes: number[] = [];
  return {
    allocate: (size) => {
      sizes.push(size);
      return new Uint8Array(size);
    },
    sizes,
    total: () => sizes.reduce((sum, size) => sum + size, 0),
  };
}

/** Where a frame's payload starts: after 2 bytes, an extended length of 2 or 8, and a masking key of 4. */
function payloadOffset(frame: Uint8Array): number {
  const length = frame[1]! & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (frame[1]! & 0x80 ? 4 : 0);
}

/**
 * Feeds `chunks` (the bytes of `frames`) to `parser` and, after each chunk, checks that what it
 * holds is at most `factor` times the payload bytes received so far, plus 1 KiB. Answers the most
 * it ever held.
 */
function feedWithin(
  parser: FrameParser,
  chunks: readonly Uint8Array[],
  frames: readonly Uint8Array[],
  factor: number,
): number {
  let fed = 0;
  let frame = 0;
  let frameStart = 0;
  let payloadBefore = 0;
  let peak = 0;
  for (const chunk of chunks) {
    parser.receive(chunk);
    fed += chunk.length;
    while (frame < frames.length && frameStart + frames[frame]!.length <= fed) {
      payloadBefore += frames[frame]!.length - payloadOffset(frames[frame]!);
      frameStart += frames[frame]!.length;
      frame++;
    }
    const partial = frame < frames.length ? Math.max(0, fed - frameStart - payloadOffset(frames[frame]!)) : 0;
    const received = payloadBefore + partial;
    const held = parser.bufferedBytes;
    assert.ok(held <= factor * received + 1024, `held ${held} bytes after receiving ${received} payload bytes`);
    peak = Math.max(peak, held);
  }
  return peak;
}

for (const peer of PEERS) {
  describe(`§5.4 maxFragments (${peer.name})`, () => {
    test('a message may span exactly maxFragments frames; the next frame fails with 1008 from its header', () => {
      const limit = 100;
      const { frames, payload } = fragmentedMessage(peer, limit);
      const { parser, sink } = recordingParser(peer.readsFrom, { maxFragments: limit });
      for (const frame of frames) parser.receive(Uint8Array.from(frame));
      assert.deepEqual(sink.events, [messageEvent(payload, true)]);

      const over = fragmentedMessage(peer, limit + 1);
      const failing = recordingParser(peer.readsFrom, { maxFragments: limit });
      for (const frame of over.frames.slice(0, limit)) failing.parser.receive(Uint8Array.from(frame));
      assert.deepEqual(failing.sink.events, []);
      // The next frame's header is enough: its payload is never read.
      const next = over.frames[limit]!;
      failing.parser.receive(Uint8Array.from(next.subarray(0, payloadOffset(next))));
      assert.deepEqual(failing.sink.events, [errorEvent(ErrorCode.TooManyFragments, CloseCode.PolicyViolation)]);
      assert.equal(failing.sink.errors[0]!.closeCode, 1008);
      assert.equal(failing.parser.stopped, true);
      assert.ok(failing.parser.bufferedBytes <= 14, 'the failure drops what the message held');
    });

    test(`the default is ${DEFAULT_MAX_FRAGMENTS} frames`, () => {
      assert.equal(DEFAULT_MAX_FRAGMENTS, 16_384);
      const { frames } = fragmentedMessage(peer, DEFAULT_MAX_FRAGMENTS + 1);
      const stream = Buffer.concat(frames);
      const lastFrame = frames.at(-1)!.length;
      const { parser, sink } = recordingParser(peer.readsFrom);
      parser.receive(stream.subarray(0, stream.length - lastFrame));
      assert.deepEqual(sink.events, []);
      parser.receive(stream.subarray(stream.length - lastFrame));
      assert.deepEqual(sink.events, [errorEvent(ErrorCode.TooManyFragments, 1008)]);

      // One frame fewer is a message.
      const within = fragmentedMessage(peer, DEFAULT_MAX_FRAGMENTS);
      const accepted = recordingParser(peer.readsFrom);
      accepted.parser.receive(Buffer.concat(within.frames));
      assert.deepEqual(accepted.sink.events, [messageEvent(within.payload, true)]);
    });

    test('control frames between fragments do not count, and each message counts afresh', () => {
      const limit = 3;
      const ping = peer.frame(Opcode.Ping, 'p');
      const message = (text: string): Buffer[] => [
        peer.frame(Opcode.Text, text[0]!, { fin: false }),
        ping,
        peer.frame(Opcode.Continuation, text[1]!, { fin: false }),
        ping,
        ping,
        peer.frame(Opcode.Continuation, text[2]!),
      ];
      const { parser, sink } = recordingParser(peer.readsFrom, { maxFragments: limit });
      parser.receive(Buffer.concat([...message('abc'), ...message('def'), peer.frame(Opcode.Binary, 'whole')]));
      const types = sink.events.map((event) => event.type);
      assert.deepEqual(types, ['ping', 'ping', 'ping', 'message', 'ping', 'ping', 'ping', 'message', 'message']);
      assert.deepEqual(
        sink.events.filter((event) => event.type === 'message'),
        [messageEvent('abc', false), messageEvent('def', false), messageEvent('whole', true)],
      );
    });

    test('maxFragments 1 refuses every fragmented message, even of empty frames; Infinity has no limit', () => {
      const empty = recordingParser(peer.readsFrom, { maxFragments: 1 });
      empty.parser.receive(
        Buffer.concat([
          peer.frame(Opcode.Binary, 'whole'),
          peer.frame(Opcode.Text, '', { fin: false }),
          peer.frame(Opcode.Continuation, ''),
        ]),
      );
      assert.deepEqual(empty.sink.events, [messageEvent('whole', true), errorEvent(ErrorCode.TooManyFragments, 1008)]);

      const { frames, payload } = fragmentedMessage(peer, 20_000);
      const unlimited = recordingParser(peer.readsFrom, { maxFragments: Number.POSITIVE_INFINITY });
      unlimited.parser.receive(Buffer.concat(frames));
      assert.deepEqual(unlimited.sink.events, [messageEvent(payload, true)]);
    });

    test('a maxFragments that is not a positive integer or Infinity is refused with a TypeError naming it', () => {
      for (const bad of [0, -1, 1.5, Number.NaN, Number.NEGATIVE_INFINITY, '3' as unknown as number]) {
        assert.throws(() => new FrameParser(new RecordingSink(), { readsFrom: peer.readsFrom, maxFragments: bad }), {
          name: 'TypeError',
          message: /maxFragments/,
        });
      }
    });
  });

  describe(`§5.4 memory and work of a message in pieces (${peer.name})`, () => {
    test('50 000 one-byte fragments: the parser holds at most about 2 bytes per payload byte, and copies linearly', () => {
      const count = 50_000;
      const { frames, payload } = fragmentedMessage(peer, count);
      const allocator = countingAllocator();
      const sink = new RecordingSink();
      const parser = new FrameParser(sink, {
        readsFrom: peer.readsFrom,
        maxFragments: count,
        allocate: allocator.allocate,
      });
      // Socket-sized chunks, each its own buffer: a view of a byte would keep 16 KiB alive.
      const peak = feedWithin(parser, ownChunks(Buffer.concat(frames), 16 * 1024), frames, 2.5);
      assert.deepEqual(sink.events, [messageEvent(payload, true)]);
      assert.ok(peak >= count, 'the parser held the message as it came');
      // Every byte copied is written once into a buffer allocated for it, so allocations bound the
      // copies. Growing to twice the need, the allocations sum to at most 4N (plus a little);
      // joining every 1024 views, as this parser once did, came to 25N here and grew with N.
      assert.ok(allocator.total() <= 4 * count + 1024, `allocated ${allocator.total()} bytes for ${count}`);
      assert.ok(allocator.sizes.length <= 20, `${allocator.sizes.length} allocations`);
      // Only the space for a header split between chunks stays.
      assert.ok(parser.bufferedBytes <= 14);
    });

    test('one byte per chunk, every byte its own buffer, costs the same', () => {
      const count = 3000;
      const { frames, payload } = fragmentedMessage(peer, count);
      const allocator = countingAllocator();
      const sink = new RecordingSink();
      const parser = new FrameParser(sink, { readsFrom: peer.readsFrom, allocate: allocator.allocate });
      feedWithin(parser, ownChunks(Buffer.concat(frames), 1), frames, 2.5);
      assert.deepEqual(sink.events, [messageEvent(payload, true)]);
      assert.ok(allocator.total() <= 4 * count + 1024, `allocated ${allocator.total()} bytes for ${count}`);
    });

    test('large fragments, each in a chunk of its own, are kept as views and copied once, at the end', () => {
      const { frames, payload } = fragmentedMessage(peer, 200, 2000);
      const allocator = countingAllocator();
      const sink = new RecordingSink();
      const parser = new FrameParser(sink, { readsFrom: peer.readsFrom, allocate: allocator.allocate });
      feedWithin(
        parser,
        frames.map((frame) => Uint8Array.from(frame)),
        frames,
        1.01,
      );
      assert.deepEqual(sink.events, [messageEvent(payload, true)]);
      assert.deepEqual(allocator.sizes, [payload.length]);
    });

    test('tiny and large fragments mixed, over any chunking, stay proportional to the bytes', () => {
      const frames: Uint8Array[] = [];
      const expected: number[] = [];
      for (let i = 0; i < 400; i++) {
        const size = i % 4 === 3 ? 1500 : 1;
        const piece = Uint8Array.from({ length: size }, (_, j) => (i + j) & 0xff);
        expected.push(...piece);
        frames.push(peer.frame(i === 0 ? Opcode.Binary : Opcode.Continuation, piece, { fin: i === 399 }));
      }
      const stream = Buffer.concat(frames);
      for (const chunking of [
        frames.map((frame) => Uint8Array.from(frame)),
        ownChunks(stream, 1000),
        ownChunks(stream, 4096),
        ownChunks(stream, 7),
      ]) {
        const sink = new RecordingSink();
        const parser = new FrameParser(sink, { readsFrom: peer.readsFrom });
        feedWithin(parser, chunking, frames, 2.5);
        assert.deepEqual(sink.events, [messageEvent(Uint8Array.from(expected), true)]);
      }
    });

    test('a piece that is a small part of its chunk is copied, so the chunk is not kept alive', () => {
      const first = peer.frame(Opcode.Binary, new Uint8Array(2000).fill(7), { fin: false });
      const pings = Array.from({ length: 100 }, () => peer.frame(Opcode.Ping, new Uint8Array(125)));
      const chunk = Uint8Array.from(Buffer.concat([first, ...pings]));
      const { parser, sink } = recordingParser(peer.readsFrom);
      parser.receive(chunk);
      assert.equal(sink.events.length, 100);
      // A copy at most twice the piece (plus 256 bytes), rather than the 13 KB chunk.
      assert.ok(
        parser.bufferedBytes <= 2 * 2000 + 256 + 14,
        `holds ${parser.bufferedBytes} bytes of a ${chunk.length}-byte chunk`,
      );
      parser.receive(Uint8Array.from(peer.frame(Opcode.Continuation, 'end')));
      assert.deepEqual(
        sink.events.at(-1),
        messageEvent(Buffer.concat([new Uint8Array(2000).fill(7), Buffer.from('end')]), true),
      );
    });

    test('a whole message in one chunk is still a view of it, and one frame over two chunks is allocated once, at its size', () => {
      const views: Uint8Array[] = [];
      const sink: FrameSink = {
        onMessage: (data) => views.push(data),
        onPing: () => assert.fail('no ping expected'),
        onPong: () => assert.fail('no pong expected'),
        onClose: () => assert.fail('no close expected'),
        onError: (error) => assert.fail(error),
      };
      const allocator = countingAllocator();
      const parser = new FrameParser(sink, { readsFrom: peer.readsFrom, allocate: allocator.allocate });
      const chunk = Uint8Array.from(peer.frame(Opcode.Binary, new Uint8Array(300).fill(1)));
      parser.receive(chunk);
      assert.equal(views[0]!.buffer, chunk.buffer, 'delivered without a copy');
      assert.deepEqual(allocator.sizes, []);

      const split = peer.frame(Opcode.Binary, new Uint8Array(300).fill(2));
      parser.receive(split.slice(0, 100));
      parser.receive(split.slice(100));
      assert.deepEqual(allocator.sizes, [300]);
      assert.deepEqual(views[1], new Uint8Array(300).fill(2));
      assert.ok(parser.bufferedBytes <= 14);
    });

    test('a control frame split across chunks holds its 125 bytes at most, not the chunks', () => {
      const ping = peer.frame(Opcode.Ping, new Uint8Array(125).fill(9));
      const padding = peer.frame(Opcode.Binary, new Uint8Array(60_000));
      const { parser, sink } = recordingParser(peer.readsFrom);
      parser.receive(Uint8Array.from(Buffer.concat([padding, ping.subarray(0, 60)])));
      assert.ok(parser.bufferedBytes <= 125, `holds ${parser.bufferedBytes}`);
      parser.receive(Uint8Array.from(ping.subarray(60)));
      assert.deepEqual(sink.events.at(-1), { type: 'ping', data: Buffer.from(new Uint8Array(125).fill(9)) });
    });
  });
}

describe('Connection with maxFragments', () => {
  test('fails the connection with a 1008 close frame on the frame past the limit', () => {
    const written: Uint8Array[] = [];
    const errors: string[] = [];
    const handler: ConnectionHandler = {
      write: (bytes) => written.push(bytes),
      onMessage: () => assert.fail('no message expected'),
      onPing: () => assert.fail('no ping expected'),
      onPong: () => assert.fail('no pong expected'),
      onPeerClose: () => assert.fail('no close expected'),
      onProtocolError: (error) => errors.push(error.code),
    };
    const connection = new Connection(handler, { role: 'server', maxFragments: 2 });
    const { frames } = fragmentedMessage(PEERS[0]!, 3);
    for (const frame of frames) connection.receive(Uint8Array.from(frame));
    assert.deepEqual(errors, [ErrorCode.TooManyFragments]);
    assert.equal(connection.closeCode, 1008);
    // The close frame: FIN + close opcode, then the code 1008 (0x03f0) first in its payload.
    assert.equal(written.length, 1);
    assert.deepEqual([written[0]![0], written[0]![2], written[0]![3]], [0x88, 0x03, 0xf0]);
  });
});
