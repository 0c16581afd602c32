/**
 * The parser's pause, for hosts whose handling of a message is asynchronous (permessage-deflate
 * inflation): nothing after the event that paused it is parsed until it resumes, so the events
 * come in the same order, and with the same content, as without pausing, however the stream is
 * cut. And `validateUtf8: false` (`ws`'s `skipUTF8Validation`), which trusts the peer's text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameParser, Opcode } from '../../src/protocol/index.js';
import {
  PEERS,
  RecordingSink,
  closePayload,
  messageEvent,
  parseStream,
  recordingParser,
  serverFrame,
} from '../helpers/frames.js';

/** Records every event and pauses the parser after it, as a host handling each one asynchronously would. */
class PausingSink extends RecordingSink {
  parser: FrameParser | undefined;

  override onMessage(data: Uint8Array, isBinary: boolean, rsv: number): void {
    super.onMessage(data, isBinary, rsv);
    this.parser!.pause();
  }

  override onPing(data: Uint8Array): void {
    super.onPing(data);
    this.parser!.pause();
  }

  override onPong(data: Uint8Array): void {
    super.onPong(data);
    this.parser!.pause();
  }

  override onClose(code: number, reason: string): void {
    super.onClose(code, reason);
    this.parser!.pause();
  }
}

describe('FrameParser pause and resume', () => {
  it('parses nothing after the frame whose event paused it, keeps later input, and resumes where it stopped', () => {
    const stream = Buffer.concat([
      serverFrame(0x1, 'one'),
      serverFrame(0x1, 'two'),
      serverFrame(0x9, 'p'),
      serverFrame(0x1, 'three'),
    ]);
    const { parser, sink } = recordingParser('server');
    const onMessage = sink.onMessage.bind(sink);
    // Pause after every message, as a host whose message handling is asynchronous does.
    sink.onMessage = (data, isBinary, rsv) => {
      onMessage(data, isBinary, rsv);
      parser.pause();
    };
    parser.receive(stream.subarray(0, 7));
    parser.receive(stream.subarray(7));
    assert.deepEqual(sink.events, [messageEvent('one', false)]);
    assert.ok(parser.paused);
    assert.equal(parser.bufferedBytes, stream.length - 5);
    parser.resume();
    assert.deepEqual(sink.events, [messageEvent('one', false), messageEvent('two', false)]);
    parser.resume();
    assert.deepEqual(sink.events.slice(2), [{ type: 'ping', data: Buffer.from('p') }, messageEvent('three', false)]);
    parser.resume();
    assert.equal(parser.paused, false);
    parser.receive(serverFrame(0x8, closePayload(1000)));
    assert.deepEqual(sink.events.at(-1), { type: 'close', code: 1000, reason: '' });
  });

  it('drops what it kept when stopped, and keeps nothing more', () => {
    const { parser, sink } = recordingParser('server');
    sink.onMessage = () => parser.pause();
    parser.receive(Buffer.concat([serverFrame(0x1, 'a'), serverFrame(0x1, 'b')]));
    assert.ok(parser.bufferedBytes > 0);
    parser.stop();
    assert.equal(parser.bufferedBytes, 0);
    parser.pause();
    parser.receive(serverFrame(0x1, 'c'));
    assert.equal(parser.paused, false);
    assert.equal(parser.bufferedBytes, 0);
    parser.resume();
    assert.deepEqual(sink.events, []);
  });

  it('gives the events of an unpaused parse, however the stream is cut, when every event pauses it', () => {
    const frames = [
      serverFrame(Opcode.Text, 'first', { fin: false }),
      serverFrame(Opcode.Ping, 'between'),
      serverFrame(Opcode.Continuation, ' message'),
      serverFrame(Opcode.Binary, Buffer.alloc(300, 7)),
      serverFrame(Opcode.Pong, ''),
      serverFrame(Opcode.Text, 'last'),
      serverFrame(Opcode.Close, closePayload(1000, 'done')),
    ];
    const stream = Buffer.concat(frames);
    const expected = parseStream('server', stream);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 10 }), (cuts) => {
        const sink = new PausingSink();
        const parser = new FrameParser(sink, { readsFrom: 'server' });
        sink.parser = parser;
        let start = 0;
        for (const cut of [...cuts.sort((a, b) => a - b), stream.length]) {
          parser.receive(Uint8Array.from(stream.subarray(start, cut)));
          start = cut;
        }
        // The host resumes once per event it handled, as an inflating host does once per message.
        for (let round = 0; parser.paused && round < frames.length; round++) parser.resume();
        assert.equal(parser.paused, false);
        assert.deepEqual(sink.events, expected);
      }),
      { numRuns: 200 },
    );
  });
});

for (const peer of PEERS) {
  describe(`validateUtf8: false (${peer.name})`, () => {
    const invalid = Uint8Array.of(0x68, 0xff, 0x69);

    it('delivers a text message and a close reason that are not UTF-8, unchecked', () => {
      const stream = Buffer.concat([
        peer.frame(Opcode.Text, invalid),
        peer.frame(Opcode.Close, Buffer.concat([closePayload(1000), invalid])),
      ]);
      const events = parseStream(peer.readsFrom, stream, { validateUtf8: false }, [2]);
      assert.deepEqual(events[0], messageEvent(invalid, false));
      assert.equal(events[1]?.type, 'close');
    });

    it('still fails them with 1007 by default (RFC 6455 §8.1)', () => {
      const events = parseStream(peer.readsFrom, peer.frame(Opcode.Text, invalid));
      assert.deepEqual(events, [{ type: 'error', code: 'ERR_INVALID_UTF8', closeCode: 1007 }]);
    });
  });
}
