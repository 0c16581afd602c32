import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseCode, ErrorCode, Opcode } from '../../src/protocol/index.js';
import {
  PEERS,
  bytes,
  closePayload,
  errorEvent,
  frameHeader,
  messageEvent,
  parseBytewise,
  parseStream,
} from '../helpers/frames.js';

const PROTOCOL_ERROR = CloseCode.ProtocolError;

for (const peer of PEERS) {
  const parse = (stream: Uint8Array) => parseStream(peer.readsFrom, stream);
  const masked = peer.readsFrom === 'client';

  describe(`§5.4 fragmentation (${peer.name})`, () => {
    test('a text message in many fragments, including empty ones, is delivered once, whole', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, 'frag', { fin: false }),
        peer.frame(Opcode.Continuation, '', { fin: false }),
        peer.frame(Opcode.Continuation, 'men', { fin: false }),
        peer.frame(Opcode.Continuation, 'ted'),
      ]);
      assert.deepEqual(parse(stream), [messageEvent('fragmented', false)]);
      assert.deepEqual(parseBytewise(peer.readsFrom, stream), [messageEvent('fragmented', false)]);
    });

    test('a binary message whose every fragment is empty is one empty message', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Binary, '', { fin: false }),
        peer.frame(Opcode.Continuation, ''),
      ]);
      assert.deepEqual(parse(stream), [messageEvent('', true)]);
    });

    test('control frames may come between fragments and are reported at once', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, 'one ', { fin: false }),
        peer.frame(Opcode.Ping, 'p1'),
        peer.frame(Opcode.Continuation, 'two ', { fin: false }),
        peer.frame(Opcode.Pong, 'p2'),
        peer.frame(Opcode.Ping, ''),
        peer.frame(Opcode.Continuation, 'three'),
      ]);
      const expected = [
        { type: 'ping', data: bytes('p1') },
        { type: 'pong', data: bytes('p2') },
        { type: 'ping', data: bytes('') },
        messageEvent('one two three', false),
      ];
      assert.deepEqual(parse(stream), expected);
      assert.deepEqual(parseBytewise(peer.readsFrom, stream), expected);
    });

    test('a close frame between fragments ends the stream; the partial message is dropped', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Binary, 'partial', { fin: false }),
        peer.frame(Opcode.Close, closePayload(1000)),
        peer.frame(Opcode.Continuation, 'rest'),
      ]);
      assert.deepEqual(parse(stream), [{ type: 'close', code: 1000, reason: '' }]);
    });

    test('a continuation frame with no message started fails with 1002', () => {
      assert.deepEqual(parse(peer.frame(Opcode.Continuation, 'x')), [
        errorEvent(ErrorCode.UnexpectedContinuation, PROTOCOL_ERROR),
      ]);
      assert.deepEqual(parse(peer.frame(Opcode.Continuation, '', { fin: false })), [
        errorEvent(ErrorCode.UnexpectedContinuation, PROTOCOL_ERROR),
      ]);
    });

    test('a continuation frame after a complete message fails with 1002', () => {
      const stream = Buffer.concat([peer.frame(Opcode.Text, 'done'), peer.frame(Opcode.Continuation, 'more')]);
      assert.deepEqual(parse(stream), [
        messageEvent('done', false),
        errorEvent(ErrorCode.UnexpectedContinuation, PROTOCOL_ERROR),
      ]);
    });

    for (const [first, second] of [
      [Opcode.Text, Opcode.Text],
      [Opcode.Text, Opcode.Binary],
      [Opcode.Binary, Opcode.Text],
      [Opcode.Binary, Opcode.Binary],
    ] as const) {
      test(`a new data frame (0x${second}) inside a fragmented 0x${first} message fails with 1002`, () => {
        const stream = Buffer.concat([peer.frame(first, 'a', { fin: false }), peer.frame(second, 'b')]);
        assert.deepEqual(parse(stream), [errorEvent(ErrorCode.ExpectedContinuation, PROTOCOL_ERROR)]);
      });
    }

    test('the new-data-frame failure comes from its header alone', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, 'a', { fin: false }),
        frameHeader(Opcode.Binary, 50, { mask: masked }),
      ]);
      assert.deepEqual(parse(stream), [errorEvent(ErrorCode.ExpectedContinuation, PROTOCOL_ERROR)]);
    });
  });

  describe(`§5.5 control frames (${peer.name})`, () => {
    test('ping and pong payloads of 0 and 125 bytes are reported as sent', () => {
      const max = new Uint8Array(125).map((_, i) => i + 1);
      const stream = Buffer.concat([
        peer.frame(Opcode.Ping, ''),
        peer.frame(Opcode.Ping, max),
        peer.frame(Opcode.Pong, ''),
        peer.frame(Opcode.Pong, max),
      ]);
      const expected = [
        { type: 'ping', data: bytes('') },
        { type: 'ping', data: bytes(max) },
        { type: 'pong', data: bytes('') },
        { type: 'pong', data: bytes(max) },
      ];
      assert.deepEqual(parse(stream), expected);
      assert.deepEqual(parseBytewise(peer.readsFrom, stream), expected);
    });

    test('a ping payload may be any bytes, not only UTF-8', () => {
      assert.deepEqual(parse(peer.frame(Opcode.Ping, Uint8Array.of(0xff, 0xfe, 0x00))), [
        { type: 'ping', data: bytes([0xff, 0xfe, 0x00]) },
      ]);
    });

    for (const opcode of [Opcode.Ping, Opcode.Pong, Opcode.Close]) {
      const hex = `0x${opcode.toString(16)}`;

      test(`a ${hex} frame with 126 bytes fails with 1002 from the header alone`, () => {
        assert.deepEqual(parse(frameHeader(opcode, 126, { mask: masked })), [
          errorEvent(ErrorCode.ControlFrameTooLong, PROTOCOL_ERROR),
        ]);
        assert.deepEqual(parse(peer.frame(opcode, new Uint8Array(126))), [
          errorEvent(ErrorCode.ControlFrameTooLong, PROTOCOL_ERROR),
        ]);
      });

      test(`a ${hex} frame announcing a 64-bit length fails with 1002`, () => {
        assert.deepEqual(parse(frameHeader(opcode, 0x10000, { mask: masked })), [
          errorEvent(ErrorCode.ControlFrameTooLong, PROTOCOL_ERROR),
        ]);
      });

      test(`a fragmented ${hex} frame (FIN clear) fails with 1002`, () => {
        assert.deepEqual(parse(peer.frame(opcode, '', { fin: false })), [
          errorEvent(ErrorCode.FragmentedControlFrame, PROTOCOL_ERROR),
        ]);
        const inMessage = Buffer.concat([
          peer.frame(Opcode.Text, 'a', { fin: false }),
          peer.frame(opcode, '', { fin: false }),
        ]);
        assert.deepEqual(parse(inMessage), [errorEvent(ErrorCode.FragmentedControlFrame, PROTOCOL_ERROR)]);
      });

      test(`RSV bits on a ${hex} frame fail with 1002`, () => {
        for (const rsv of [0x40, 0x20, 0x10]) {
          assert.deepEqual(parse(peer.frame(opcode, '', { rsv })), [
            errorEvent(ErrorCode.ReservedBits, PROTOCOL_ERROR),
          ]);
        }
      });
    }

    test('a control frame of 125 bytes announced with the 16-bit length form is still a valid control frame', () => {
      const payload = new Uint8Array(125).fill(9);
      assert.deepEqual(parse(peer.frame(Opcode.Ping, payload, { lengthForm: 16 })), [
        { type: 'ping', data: bytes(payload) },
      ]);
    });
  });
}
