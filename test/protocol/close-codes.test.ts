import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CloseCode,
  ErrorCode,
  Opcode,
  encodeClosePayload,
  isApplicationCloseCode,
  isValidWireCloseCode,
} from '../../src/protocol/index.js';
import {
  PEERS,
  closePayload,
  errorEvent,
  messageEvent,
  parseBytewise,
  parseStream,
  recordingParser,
} from '../helpers/frames.js';

/** Codes that RFC 6455 §7.4 allows in a close frame. */
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
/** Codes that must never be on the wire: below 1000, reserved (1004–1006, 1015), unassigned (1016–2999), and 5000+. */
const INVALID_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

describe('§7.4 close codes', () => {
  test('isValidWireCloseCode accepts exactly 1000–1003, 1007–1014 and 3000–4999', () => {
    for (let code = 0; code <= 65535; code++) {
      const expected =
        (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
      if (isValidWireCloseCode(code) !== expected) assert.fail(`isValidWireCloseCode(${code}) should be ${expected}`);
    }
  });

  test('isApplicationCloseCode accepts exactly 1000 and 3000–4999', () => {
    for (let code = 0; code <= 65535; code++) {
      const expected = code === 1000 || (code >= 3000 && code <= 4999);
      if (isApplicationCloseCode(code) !== expected)
        assert.fail(`isApplicationCloseCode(${code}) should be ${expected}`);
    }
  });

  test('the registered codes have their RFC values', () => {
    assert.deepEqual(
      { ...CloseCode },
      {
        Normal: 1000,
        GoingAway: 1001,
        ProtocolError: 1002,
        UnsupportedData: 1003,
        NoStatusReceived: 1005,
        AbnormalClosure: 1006,
        InvalidPayload: 1007,
        PolicyViolation: 1008,
        MessageTooBig: 1009,
        MandatoryExtension: 1010,
        InternalError: 1011,
        ServiceRestart: 1012,
        TryAgainLater: 1013,
        BadGateway: 1014,
        TlsHandshake: 1015,
      },
    );
  });

  test('encodeClosePayload writes the code big-endian, then the UTF-8 reason', () => {
    assert.deepEqual(Buffer.from(encodeClosePayload(1000)), Buffer.of(0x03, 0xe8));
    assert.deepEqual(Buffer.from(encodeClosePayload(4999, 'bye ✓')), closePayload(4999, 'bye ✓'));
    assert.deepEqual(Buffer.from(encodeClosePayload(undefined)), Buffer.alloc(0));
  });
});

for (const peer of PEERS) {
  const parse = (stream: Uint8Array) => parseStream(peer.readsFrom, stream);
  const close = (code: number, reason: string | Uint8Array = '') =>
    peer.frame(Opcode.Close, closePayload(code, reason));

  describe(`§5.5.1 close frames (${peer.name})`, () => {
    test('a close frame with no payload reports 1005 and an empty reason', () => {
      assert.deepEqual(parse(peer.frame(Opcode.Close)), [
        { type: 'close', code: CloseCode.NoStatusReceived, reason: '' },
      ]);
    });

    test('a close frame with a 1-byte payload fails with 1002', () => {
      assert.deepEqual(parse(peer.frame(Opcode.Close, Uint8Array.of(0x03))), [
        errorEvent(ErrorCode.InvalidClosePayload, 1002),
      ]);
    });

    for (const code of VALID_CODES) {
      test(`close code ${code} is accepted, with and without a reason`, () => {
        assert.deepEqual(parse(close(code)), [{ type: 'close', code, reason: '' }]);
        assert.deepEqual(parse(close(code, 'see you ✓')), [{ type: 'close', code, reason: 'see you ✓' }]);
      });
    }

    for (const code of INVALID_CODES) {
      test(`close code ${code} fails with 1002`, () => {
        assert.deepEqual(parse(close(code)), [errorEvent(ErrorCode.InvalidCloseCode, 1002)]);
        assert.deepEqual(parse(close(code, 'reason')), [errorEvent(ErrorCode.InvalidCloseCode, 1002)]);
      });
    }

    test('a reason of 123 bytes (the most a 125-byte control frame holds) is reported whole', () => {
      const reason = 'é'.repeat(61) + 'x';
      assert.equal(Buffer.byteLength(reason), 123);
      assert.deepEqual(parse(close(1000, reason)), [{ type: 'close', code: 1000, reason }]);
      assert.deepEqual(parseBytewise(peer.readsFrom, close(1000, reason)), [{ type: 'close', code: 1000, reason }]);
    });

    for (const [name, reason] of [
      ['a lone continuation byte', Uint8Array.of(0x80)],
      ['a truncated sequence', Uint8Array.of(0x61, 0xe2, 0x82)],
      ['an overlong form', Uint8Array.of(0xc0, 0xaf)],
      ['a surrogate', Uint8Array.of(0xed, 0xa0, 0x80)],
      ['a code point above U+10FFFF', Uint8Array.of(0xf4, 0x90, 0x80, 0x80)],
      ['0xff', Uint8Array.of(0x6f, 0x6b, 0xff)],
    ] as const) {
      test(`a reason with ${name} fails with 1007`, () => {
        assert.deepEqual(parse(close(1000, reason)), [errorEvent(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload)]);
      });
    }

    test('everything after a close frame is ignored', () => {
      const { parser, sink } = recordingParser(peer.readsFrom);
      parser.receive(
        Buffer.concat([peer.frame(Opcode.Text, 'before'), close(1001, 'going'), peer.frame(Opcode.Text, 'after')]),
      );
      parser.receive(peer.frame(Opcode.Ping, 'later'));
      // Even bytes that would be a protocol error are not looked at.
      parser.receive(Uint8Array.of(0xff, 0xff, 0xff));
      assert.equal(parser.stopped, true);
      assert.deepEqual(sink.events, [messageEvent('before', false), { type: 'close', code: 1001, reason: 'going' }]);
    });

    test('a close frame interleaved in a fragmented text message is read whole', () => {
      const stream = Buffer.concat([peer.frame(Opcode.Text, 'par', { fin: false }), close(3000, 'app')]);
      assert.deepEqual(parseBytewise(peer.readsFrom, stream), [{ type: 'close', code: 3000, reason: 'app' }]);
    });
  });
}
