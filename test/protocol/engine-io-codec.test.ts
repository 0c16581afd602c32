/**
 * The Engine.IO protocol v4 codec, grouped by the sections of the protocol document: packet
 * encoding for WebSocket frames, payload encoding for HTTP long-polling, and strict decoding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  EngineErrorCode,
  EngineIOParseError,
  ParseErrorCode,
  decodeBase64Strict,
  decodePacket,
  decodePayload,
  encodePacket,
  encodePayload,
  engineErrorBody,
  engineErrorStatus,
  openPacket,
  type Packet,
} from '../../src/protocol/engine-io/index.js';

/** The code of the parse error `decode` throws; fails if it throws anything else, or nothing. */
function errorCodeOf(decode: () => unknown): string {
  try {
    decode();
  } catch (err) {
    assert.ok(err instanceof EngineIOParseError, `not an EngineIOParseError: ${String(err)}`);
    return err.code;
  }
  return assert.fail('decoded without a parse error');
}

describe('Packet encoding › WebSocket', () => {
  it('writes the type digit before text data', () => {
    assert.equal(encodePacket({ type: 'message', data: 'hello' }), '4hello');
    assert.equal(encodePacket({ type: 'ping' }), '2');
    assert.equal(encodePacket({ type: 'pong', data: 'probe' }), '3probe');
    assert.equal(encodePacket({ type: 'close' }), '1');
    assert.equal(encodePacket({ type: 'upgrade' }), '5');
    assert.equal(encodePacket({ type: 'noop' }), '6');
    assert.equal(encodePacket({ type: 'message', data: '' }), '4');
    assert.equal(encodePacket({ type: 'message', data: '€€€' }), '4€€€');
  });

  it('sends binary payloads as is, without a type prefix', () => {
    const bytes = Uint8Array.of(1, 2, 3, 4);
    assert.equal(encodePacket({ type: 'message', data: bytes }), bytes);
  });

  it('decodes every packet type from its digit', () => {
    const names = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];
    names.forEach((name, digit) => assert.equal(decodePacket(String(digit)).type, name));
    assert.deepEqual(decodePacket('2probe'), { type: 'ping', data: 'probe' });
    assert.deepEqual(decodePacket('4'), { type: 'message', data: '' });
    assert.deepEqual(decodePacket('4hello \x00 world'), { type: 'message', data: 'hello \x00 world' });
  });

  it('takes a binary frame as a message carrying those bytes', () => {
    const bytes = Uint8Array.of(0x34, 0xff, 0);
    assert.deepEqual(decodePacket(bytes), { type: 'message', data: bytes });
  });

  it('throws an EngineIOParseError for malformed text frames', () => {
    assert.equal(
      errorCodeOf(() => decodePacket('')),
      ParseErrorCode.EmptyPacket,
    );
    for (const bad of ['7', '9hello', 'abc', 'b', ' 4', '/', '\u0664']) {
      assert.equal(
        errorCodeOf(() => decodePacket(bad)),
        ParseErrorCode.UnknownPacketType,
        bad,
      );
    }
  });
});

describe('Packet encoding › HTTP long-polling', () => {
  it('joins packets with the record separator', () => {
    const packets: Packet[] = [
      { type: 'message', data: 'hello' },
      { type: 'ping' },
      { type: 'message', data: 'world' },
    ];
    assert.equal(encodePayload(packets), '4hello\x1e2\x1e4world');
    assert.equal(encodePayload([]), '');
  });

  it('writes binary payloads as b + base64', () => {
    const payload = encodePayload([
      { type: 'message', data: 'hello' },
      { type: 'message', data: Uint8Array.of(1, 2, 3, 4) },
    ]);
    assert.equal(payload, '4hello\x1ebAQIDBA==');
  });

  it('decodes the examples of the protocol document', () => {
    assert.deepEqual(decodePayload('4hello\x1e2\x1e4world'), [
      { type: 'message', data: 'hello' },
      { type: 'ping' },
      { type: 'message', data: 'world' },
    ]);
    assert.deepEqual(decodePayload('4hello\x1ebAQIDBA=='), [
      { type: 'message', data: 'hello' },
      { type: 'message', data: Uint8Array.of(1, 2, 3, 4) },
    ]);
    assert.deepEqual(decodePayload('b'), [{ type: 'message', data: new Uint8Array(0) }]);
  });

  it('rejects the whole payload when one packet is malformed', () => {
    assert.equal(
      errorCodeOf(() => decodePayload('')),
      ParseErrorCode.EmptyPacket,
    );
    assert.equal(
      errorCodeOf(() => decodePayload('4a\x1e')),
      ParseErrorCode.EmptyPacket,
    );
    assert.equal(
      errorCodeOf(() => decodePayload('4a\x1e\x1e4b')),
      ParseErrorCode.EmptyPacket,
    );
    assert.equal(
      errorCodeOf(() => decodePayload('4a\x1ex')),
      ParseErrorCode.UnknownPacketType,
    );
    assert.equal(
      errorCodeOf(() => decodePayload('4a\x1eb!!!!')),
      ParseErrorCode.InvalidBase64,
    );
  });

  it('limits the number of packets when asked', () => {
    assert.equal(decodePayload('2\x1e2\x1e2', { maxPackets: 3 }).length, 3);
    const tooMany = errorCodeOf(() => decodePayload('2\x1e2\x1e2\x1e2', { maxPackets: 3 }));
    assert.equal(tooMany, ParseErrorCode.TooManyPackets);
  });
});

describe('base64 (RFC 4648 §4), strict', () => {
  it('decodes padded and unpadded input', () => {
    assert.deepEqual(decodeBase64Strict('AQIDBA=='), Uint8Array.of(1, 2, 3, 4));
    assert.deepEqual(decodeBase64Strict('AQIDBA'), Uint8Array.of(1, 2, 3, 4));
    assert.deepEqual(decodeBase64Strict('AQID'), Uint8Array.of(1, 2, 3));
    assert.deepEqual(decodeBase64Strict('+/+/'), Uint8Array.from(Buffer.from('+/+/', 'base64')));
    assert.deepEqual(decodeBase64Strict(''), new Uint8Array(0));
  });

  it('rejects what a lenient decoder would let through', () => {
    for (const bad of [
      'A',
      'AQIDB',
      'AQ ID',
      'AQ==A',
      'AQIDBA===',
      'AQI=DBA=',
      'AQ-_',
      'AQ\nID',
      '====',
      'AQIDBA=',
      'AQ€D',
    ]) {
      assert.equal(decodeBase64Strict(bad), undefined, JSON.stringify(bad));
    }
  });

  it('agrees with the platform decoder on every valid encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        assert.deepEqual(decodeBase64Strict(text), bytes);
        assert.deepEqual(decodeBase64Strict(text.replace(/=+$/, '')), bytes);
      }),
    );
  });
});

describe('Handshake and HTTP errors', () => {
  it('builds the open packet with the five handshake keys', () => {
    const packet = openPacket({
      sid: 'abc',
      upgrades: ['websocket'],
      pingInterval: 25000,
      pingTimeout: 20000,
      maxPayload: 1e6,
    });
    assert.equal(packet.type, 'open');
    assert.deepEqual(JSON.parse(packet.data!), {
      sid: 'abc',
      upgrades: ['websocket'],
      pingInterval: 25000,
      pingTimeout: 20000,
      maxPayload: 1000000,
    });
    assert.match(encodePacket(packet) as string, /^0\{"sid":"abc"/);
  });

  it('maps error codes to status and body', () => {
    assert.equal(engineErrorStatus(EngineErrorCode.Forbidden), 403);
    for (const code of [0, 1, 2, 3, 5] as const) assert.equal(engineErrorStatus(code), 400);
    assert.equal(engineErrorBody(EngineErrorCode.UnknownSid), '{"code":1,"message":"Session ID unknown"}');
    assert.equal(engineErrorBody(EngineErrorCode.Forbidden, 'nope'), '{"code":4,"message":"nope"}');
  });
});

describe('Properties', () => {
  const textData = fc.string({ unit: 'binary' }).filter((s) => !s.includes('\x1e'));
  const packetArb: fc.Arbitrary<Packet> = fc
    .oneof(
      fc.record({ type: fc.constant('message' as const), data: fc.oneof(textData, fc.uint8Array({ maxLength: 40 })) }),
      fc.record({
        type: fc.constantFrom('ping' as const, 'pong' as const, 'close' as const, 'noop' as const, 'upgrade' as const),
      }),
      fc.record({
        type: fc.constantFrom('ping' as const, 'pong' as const),
        data: textData.filter((s) => s.length > 0),
      }),
    )
    .map((packet) => ({ ...packet }) as Packet); // plain objects, as the decoder builds them

  it('decodePayload(encodePayload(packets)) gives the packets back', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 12 }), (packets) => {
        assert.deepEqual(decodePayload(encodePayload(packets)), packets);
      }),
    );
  });

  it('decodePacket(encodePacket(packet)) gives the packet back', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        assert.deepEqual(decodePacket(encodePacket(packet)), packet);
      }),
    );
  });

  it('random input decodes or throws an EngineIOParseError, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        for (const decode of [() => decodePayload(text), () => decodePacket(text)]) {
          try {
            decode();
          } catch (err) {
            assert.ok(err instanceof EngineIOParseError, String(err));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
