import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseCode, ErrorCode, Opcode } from '../../src/protocol/index.js';
import {
  PEERS,
  bytes,
  errorEvent,
  frame,
  frameHeader,
  messageEvent,
  parseBytewise,
  parseStream,
  recordingParser,
} from '../helpers/frames.js';

const PROTOCOL_ERROR = CloseCode.ProtocolError;

describe('§5.7 examples', () => {
  test('a single-frame unmasked text message', () => {
    const stream = Uint8Array.of(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
    assert.deepEqual(parseStream('server', stream), [messageEvent('Hello', false)]);
  });

  test('a single-frame masked text message', () => {
    const stream = Uint8Array.of(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
    assert.deepEqual(parseStream('client', stream), [messageEvent('Hello', false)]);
  });

  test('a fragmented unmasked text message', () => {
    const stream = Uint8Array.of(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f);
    assert.deepEqual(parseStream('server', stream), [messageEvent('Hello', false)]);
  });

  test('an unmasked ping and a masked pong', () => {
    assert.deepEqual(parseStream('server', Uint8Array.of(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f)), [
      { type: 'ping', data: bytes('Hello') },
    ]);
    const pong = Uint8Array.of(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
    assert.deepEqual(parseStream('client', pong), [{ type: 'pong', data: bytes('Hello') }]);
  });

  test('256 bytes and 64 KiB of binary in one unmasked frame', () => {
    const small = new Uint8Array(256).map((_, i) => i);
    const smallStream = Buffer.concat([Uint8Array.of(0x82, 0x7e, 0x01, 0x00), small]);
    assert.deepEqual(parseStream('server', smallStream), [messageEvent(small, true)]);

    const large = new Uint8Array(65536).map((_, i) => i * 7);
    const largeStream = Buffer.concat([Uint8Array.of(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0), large]);
    assert.deepEqual(parseStream('server', largeStream), [messageEvent(large, true)]);
  });
});

for (const peer of PEERS) {
  describe(`§5.2 base framing (${peer.name})`, () => {
    const parse = (stream: Uint8Array, options = {}) => parseStream(peer.readsFrom, stream, options);

    for (const length of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      test(`a ${length}-byte payload uses the ${length < 126 ? '7' : length < 65536 ? '16' : '64'}-bit length`, () => {
        const payload = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);
        assert.deepEqual(parse(peer.frame(Opcode.Binary, payload)), [messageEvent(payload, true)]);
        assert.deepEqual(
          parseBytewise(peer.readsFrom, peer.frame(Opcode.Binary, payload.subarray(0, Math.min(length, 300)))),
          [messageEvent(payload.subarray(0, Math.min(length, 300)), true)],
        );
      });
    }

    test('text and binary messages keep their type', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, 'héllo'),
        peer.frame(Opcode.Binary, Uint8Array.of(0xff, 0)),
      ]);
      assert.deepEqual(parse(stream), [messageEvent('héllo', false), messageEvent(Uint8Array.of(0xff, 0), true)]);
    });

    test('many frames in one chunk all come out, in order', () => {
      const stream = Buffer.concat(Array.from({ length: 50 }, (_, i) => peer.frame(Opcode.Text, `message ${i}`)));
      assert.deepEqual(
        parse(stream),
        Array.from({ length: 50 }, (_, i) => messageEvent(`message ${i}`, false)),
      );
    });

    test('a 64-bit length with its most significant bit set fails from the header alone', () => {
      const header = frameHeader(Opcode.Binary, 0x8000000000000000n, { mask: peer.readsFrom === 'client' });
      assert.deepEqual(parse(header), [errorEvent(ErrorCode.InvalidFrameLength, PROTOCOL_ERROR)]);
      assert.deepEqual(parseBytewise(peer.readsFrom, header), [
        errorEvent(ErrorCode.InvalidFrameLength, PROTOCOL_ERROR),
      ]);
    });

    test('a 64-bit length just below 2^63 is a length, not a protocol error', () => {
      const header = frameHeader(Opcode.Binary, 0x7fffffffffffffffn, { mask: peer.readsFrom === 'client' });
      assert.deepEqual(parse(header), [errorEvent(ErrorCode.MessageTooBig, CloseCode.MessageTooBig)]);
    });

    for (const [rsv, bit] of [
      [0x40, 'RSV1'],
      [0x20, 'RSV2'],
      [0x10, 'RSV3'],
    ] as const) {
      test(`${bit} on a data frame without a negotiated extension fails with 1002`, () => {
        const events = parse(peer.frame(Opcode.Text, 'x', { rsv }));
        assert.deepEqual(events, [errorEvent(ErrorCode.ReservedBits, PROTOCOL_ERROR)]);
      });
    }

    test('RSV1 on the first frame is allowed and reported when an extension defines it', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Binary, 'ab', { rsv: 0x40, fin: false }),
        peer.frame(Opcode.Continuation, 'cd'),
        peer.frame(Opcode.Text, Uint8Array.of(0xff), { rsv: 0x40 }),
        peer.frame(Opcode.Text, 'plain'),
      ]);
      // A text message with RSV1 holds the extension's encoding, so it is not UTF-8 checked here.
      assert.deepEqual(parse(stream, { messageRsvMask: 0x40 }), [
        messageEvent('abcd', true, 0x40),
        messageEvent(Uint8Array.of(0xff), false, 0x40),
        messageEvent('plain', false, 0),
      ]);
    });

    test('an extension allowing RSV1 does not allow RSV2 or RSV3', () => {
      assert.deepEqual(parse(peer.frame(Opcode.Text, 'x', { rsv: 0x60 }), { messageRsvMask: 0x40 }), [
        errorEvent(ErrorCode.ReservedBits, PROTOCOL_ERROR),
      ]);
      assert.deepEqual(parse(peer.frame(Opcode.Text, 'x', { rsv: 0x10 }), { messageRsvMask: 0x40 }), [
        errorEvent(ErrorCode.ReservedBits, PROTOCOL_ERROR),
      ]);
    });

    test('RSV1 on a continuation frame fails even with an extension (RFC 7692 §6.1)', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, 'a', { rsv: 0x40, fin: false }),
        peer.frame(Opcode.Continuation, 'b', { rsv: 0x40 }),
      ]);
      assert.deepEqual(parse(stream, { messageRsvMask: 0x40 }), [errorEvent(ErrorCode.ReservedBits, PROTOCOL_ERROR)]);
      const unextended = Buffer.concat([
        peer.frame(Opcode.Text, 'a', { fin: false }),
        peer.frame(Opcode.Continuation, 'b', { rsv: 0x20 }),
      ]);
      assert.deepEqual(parse(unextended), [errorEvent(ErrorCode.ReservedBits, PROTOCOL_ERROR)]);
    });

    for (const opcode of [Opcode.Ping, Opcode.Pong, Opcode.Close]) {
      test(`RSV1 on a control frame (opcode 0x${opcode.toString(16)}) fails even with an extension`, () => {
        assert.deepEqual(parse(peer.frame(opcode, '', { rsv: 0x40 }), { messageRsvMask: 0x40 }), [
          errorEvent(ErrorCode.ReservedBits, PROTOCOL_ERROR),
        ]);
      });
    }

    for (const opcode of [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      test(`reserved opcode 0x${opcode.toString(16)} fails with 1002`, () => {
        assert.deepEqual(parse(peer.frame(opcode, 'payload')), [errorEvent(ErrorCode.ReservedOpcode, PROTOCOL_ERROR)]);
        // Also inside a fragmented message.
        const inside = Buffer.concat([peer.frame(Opcode.Text, 'a', { fin: false }), peer.frame(opcode, '')]);
        assert.deepEqual(parse(inside), [errorEvent(ErrorCode.ReservedOpcode, PROTOCOL_ERROR)]);
      });
    }

    test('after an error the parser stops and ignores everything that follows', () => {
      const { parser, sink } = recordingParser(peer.readsFrom);
      parser.receive(Buffer.concat([peer.frame(0x3, ''), peer.frame(Opcode.Text, 'ignored')]));
      assert.equal(parser.stopped, true);
      parser.receive(peer.frame(Opcode.Text, 'also ignored'));
      assert.deepEqual(sink.events, [errorEvent(ErrorCode.ReservedOpcode, PROTOCOL_ERROR)]);
    });

    test('the error a peer breaks the protocol with is a WebSocketError carrying its close code', () => {
      const { parser, sink } = recordingParser(peer.readsFrom);
      parser.receive(peer.frame(0xb, ''));
      assert.equal(sink.errors.length, 1);
      const [error] = sink.errors;
      assert.equal(error!.name, 'WebSocketError');
      assert.equal(error!.code, ErrorCode.ReservedOpcode);
      assert.equal(error!.closeCode, 1002);
      assert.match(error!.message, /reserved opcode 0xb/);
    });
  });

  describe(`§5.1 masking direction (${peer.name})`, () => {
    const expected =
      peer.readsFrom === 'client'
        ? errorEvent(ErrorCode.UnmaskedClientFrame, PROTOCOL_ERROR)
        : errorEvent(ErrorCode.MaskedServerFrame, PROTOCOL_ERROR);

    for (const opcode of [Opcode.Text, Opcode.Binary, Opcode.Ping, Opcode.Pong, Opcode.Close]) {
      test(`a wrongly masked frame with opcode 0x${opcode.toString(16)} fails with 1002`, () => {
        const payload = opcode === Opcode.Close ? Uint8Array.of(0x03, 0xe8) : bytes('x');
        assert.deepEqual(parseStream(peer.readsFrom, peer.wronglyMaskedFrame(opcode, payload)), [expected]);
      });
    }

    test('a wrongly masked continuation in the middle of a message fails', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, 'a', { fin: false }),
        peer.wronglyMaskedFrame(Opcode.Continuation, 'b'),
      ]);
      assert.deepEqual(parseStream(peer.readsFrom, stream), [expected]);
    });

    test('the failure comes from the header, before any payload arrives', () => {
      const header = frameHeader(Opcode.Binary, 1000, { mask: peer.readsFrom === 'server' });
      assert.deepEqual(parseStream(peer.readsFrom, header), [expected]);
    });
  });

  describe(`§10.4 maxPayload (${peer.name})`, () => {
    const TOO_BIG = errorEvent(ErrorCode.MessageTooBig, CloseCode.MessageTooBig);
    const masked = peer.readsFrom === 'client';

    test('a message of exactly maxPayload bytes is delivered', () => {
      const payload = new Uint8Array(1000).fill(7);
      assert.deepEqual(parseStream(peer.readsFrom, peer.frame(Opcode.Binary, payload), { maxPayload: 1000 }), [
        messageEvent(payload, true),
      ]);
    });

    test('one byte over maxPayload fails with 1009 from the header alone', () => {
      // Only the header is fed: the parser must refuse before buffering any of the payload.
      assert.deepEqual(
        parseStream(peer.readsFrom, frameHeader(Opcode.Binary, 1001, { mask: masked }), { maxPayload: 1000 }),
        [TOO_BIG],
      );
      assert.deepEqual(
        parseBytewise(peer.readsFrom, frameHeader(Opcode.Text, 1001, { mask: masked }), { maxPayload: 1000 }),
        [TOO_BIG],
      );
    });

    test('a 2^53-byte length fails with 1009 from the header alone', () => {
      assert.deepEqual(parseStream(peer.readsFrom, frameHeader(Opcode.Binary, 2n ** 53n, { mask: masked })), [TOO_BIG]);
    });

    test('the limit applies to the sum of the fragments, checked at the header of the fragment that crosses it', () => {
      const { parser, sink } = recordingParser(peer.readsFrom, { maxPayload: 100 });
      parser.receive(peer.frame(Opcode.Binary, new Uint8Array(60), { fin: false }));
      parser.receive(peer.frame(Opcode.Continuation, new Uint8Array(40), { fin: false }));
      assert.deepEqual(sink.events, []);
      // 100 bytes so far; a header announcing one more byte is enough to fail.
      parser.receive(frameHeader(Opcode.Continuation, 1, { mask: masked }));
      assert.deepEqual(sink.events, [TOO_BIG]);
    });

    test('fragments that add up to exactly maxPayload are delivered', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, 'a'.repeat(50), { fin: false }),
        peer.frame(Opcode.Continuation, '', { fin: false }),
        peer.frame(Opcode.Continuation, 'b'.repeat(50)),
      ]);
      assert.deepEqual(parseStream(peer.readsFrom, stream, { maxPayload: 100 }), [
        messageEvent('a'.repeat(50) + 'b'.repeat(50), false),
      ]);
    });

    test('the count starts again with each message', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Binary, new Uint8Array(80)),
        peer.frame(Opcode.Binary, new Uint8Array(60), { fin: false }),
        peer.frame(Opcode.Continuation, new Uint8Array(40)),
      ]);
      assert.deepEqual(parseStream(peer.readsFrom, stream, { maxPayload: 100 }), [
        messageEvent(new Uint8Array(80), true),
        messageEvent(new Uint8Array(100), true),
      ]);
    });

    test('control frames interleaved in a message do not count towards it', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Binary, new Uint8Array(90), { fin: false }),
        peer.frame(Opcode.Ping, new Uint8Array(100)),
        peer.frame(Opcode.Continuation, new Uint8Array(10)),
      ]);
      assert.deepEqual(parseStream(peer.readsFrom, stream, { maxPayload: 100 }), [
        { type: 'ping', data: bytes(new Uint8Array(100)) },
        messageEvent(new Uint8Array(100), true),
      ]);
    });

    test('maxPayload 0 allows only empty messages', () => {
      assert.deepEqual(parseStream(peer.readsFrom, peer.frame(Opcode.Text, ''), { maxPayload: 0 }), [
        messageEvent('', false),
      ]);
      assert.deepEqual(parseStream(peer.readsFrom, peer.frame(Opcode.Text, 'x'), { maxPayload: 0 }), [TOO_BIG]);
    });

    test('the default limit is 100 MiB', () => {
      const atLimit = frameHeader(Opcode.Binary, 100 * 1024 * 1024, { mask: masked });
      assert.deepEqual(parseStream(peer.readsFrom, atLimit), []);
      const overLimit = frameHeader(Opcode.Binary, 100 * 1024 * 1024 + 1, { mask: masked });
      assert.deepEqual(parseStream(peer.readsFrom, overLimit), [TOO_BIG]);
    });
  });
}

describe('§5.2 parser input handling', () => {
  test('a message that arrives in one piece is a view of the input, unmasked in place', () => {
    const input = frame(Opcode.Binary, 'abcdef', { mask: true });
    const { parser, sink } = recordingParser('client');
    let seen: Uint8Array | undefined;
    sink.onMessage = (data) => {
      seen = data;
    };
    parser.receive(input);
    assert.ok(seen);
    assert.equal(seen.buffer, input.buffer);
    assert.equal(Buffer.from(seen).toString(), 'abcdef');
    assert.equal(input.subarray(6).toString(), 'abcdef');
  });

  test('a message reassembled from pieces uses the given allocator', () => {
    const sizes: number[] = [];
    const allocate = (size: number): Uint8Array => {
      sizes.push(size);
      return new Uint8Array(size);
    };
    const stream = Buffer.concat([frame(Opcode.Text, 'abc', { fin: false }), frame(Opcode.Continuation, 'def')]);
    assert.deepEqual(parseStream('server', stream, { allocate }), [messageEvent('abcdef', false)]);
    // One buffer, for the pieces copied as they come (test/protocol/fragments.test.ts measures them).
    assert.equal(sizes.length, 1);
  });

  test('an empty chunk is harmless, anywhere', () => {
    const { parser, sink } = recordingParser('server');
    const stream = frame(Opcode.Text, 'hello');
    parser.receive(new Uint8Array(0));
    parser.receive(stream.subarray(0, 1));
    parser.receive(new Uint8Array(0));
    parser.receive(stream.subarray(1, 4));
    parser.receive(new Uint8Array(0));
    parser.receive(stream.subarray(4));
    assert.deepEqual(sink.events, [messageEvent('hello', false)]);
  });

  test('a bulk UTF-8 check from the host is used for whole text messages', () => {
    const checked: string[] = [];
    const isUtf8 = (data: Uint8Array): boolean => {
      checked.push(Buffer.from(data).toString());
      return true;
    };
    assert.deepEqual(parseStream('server', frame(Opcode.Text, 'whole'), { isUtf8 }), [messageEvent('whole', false)]);
    assert.deepEqual(checked, ['whole']);
  });
});
