import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseCode, ErrorCode, Opcode, Utf8Validator, isValidUtf8 } from '../../src/protocol/index.js';
import {
  PEERS,
  errorEvent,
  messageEvent,
  parseBytewise,
  parseStream,
  recordingParser,
  type Peer,
} from '../helpers/frames.js';

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

function decodes(data: Uint8Array): boolean {
  try {
    fatalDecoder.decode(data);
    return true;
  } catch {
    return false;
  }
}

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const KOSME = hex('ce ba e1 bd b9 cf 83 ce bc ce b5'); // "κόσμε", the text of Autobahn's section 6
const EDITED = Buffer.from('-edited');
const join = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** An invalid text and the index of the byte that makes it invalid; `end` when only its end does. */
interface InvalidCase {
  readonly name: string;
  readonly payload: Uint8Array;
  readonly failAt: number | 'end';
}

const LONG_VALID = Buffer.from('é'.repeat(3000) + 'x');
const INVALID: readonly InvalidCase[] = [
  { name: 'a surrogate after valid text (Autobahn 6.3.1)', payload: join(KOSME, hex('eda080'), EDITED), failAt: 12 },
  {
    name: 'a code point above U+10FFFF in the middle (6.4.1)',
    payload: join(KOSME, hex('f4908080'), EDITED),
    failAt: 12,
  },
  { name: 'an overlong 2-byte "/" (6.17.1)', payload: hex('c0af'), failAt: 0 },
  { name: 'an overlong 3-byte "/" (6.17.2)', payload: hex('e080af'), failAt: 1 },
  { name: 'an overlong 4-byte "/" (6.17.3)', payload: hex('f08080af'), failAt: 1 },
  { name: 'the largest overlong 2-byte form (6.18.1)', payload: hex('c1bf'), failAt: 0 },
  { name: 'the largest overlong 3-byte form (6.18.2)', payload: hex('e09fbf'), failAt: 1 },
  { name: 'the largest overlong 4-byte form (6.18.3)', payload: hex('f08fbfbf'), failAt: 1 },
  { name: 'an overlong NUL (6.19.1)', payload: hex('c080'), failAt: 0 },
  { name: 'the surrogate U+D800 (6.20.1)', payload: hex('eda080'), failAt: 1 },
  { name: 'the surrogate U+DB7F (6.20.2)', payload: hex('edadbf'), failAt: 1 },
  { name: 'the surrogate U+DC00 (6.20.5)', payload: hex('edb080'), failAt: 1 },
  { name: 'the surrogate U+DFFF (6.20.7)', payload: hex('edbfbf'), failAt: 1 },
  { name: 'a surrogate pair (6.21.1)', payload: hex('eda080edb080'), failAt: 1 },
  { name: 'U+110000 (6.11.5)', payload: hex('f4908080'), failAt: 1 },
  { name: 'a 4-byte form led by F5', payload: hex('f5808080'), failAt: 0 },
  { name: 'a 4-byte form led by F7 (6.10.1)', payload: hex('f7bfbfbf'), failAt: 0 },
  { name: 'a 5-byte form (6.8.1)', payload: hex('f888808080'), failAt: 0 },
  { name: 'a 6-byte form (6.8.2)', payload: hex('fc8480808080'), failAt: 0 },
  { name: 'the impossible byte FE (6.16.1)', payload: hex('fe'), failAt: 0 },
  { name: 'the impossible byte FF after text (6.16.2)', payload: join(Buffer.from('ab'), hex('ff')), failAt: 2 },
  { name: 'a lone continuation byte 80 (6.12.1)', payload: hex('80'), failAt: 0 },
  { name: 'a lone continuation byte BF (6.12.2)', payload: hex('bf'), failAt: 0 },
  { name: 'a continuation byte after a complete sequence', payload: hex('c3a980'), failAt: 2 },
  { name: 'a 2-byte lead followed by a space (6.13.1)', payload: hex('c220'), failAt: 1 },
  { name: 'a 3-byte lead followed by a space (6.13.2)', payload: hex('e120'), failAt: 1 },
  { name: 'a 4-byte lead followed by a space (6.13.3)', payload: hex('f120'), failAt: 1 },
  { name: 'a 3-byte sequence cut short by a space', payload: hex('e18020'), failAt: 2 },
  { name: 'a 2-byte sequence truncated at the end (6.14.1)', payload: hex('c2'), failAt: 'end' },
  { name: 'a 3-byte sequence truncated at the end (6.14.2)', payload: hex('e180'), failAt: 'end' },
  { name: 'a 4-byte sequence truncated at the end (6.14.3)', payload: hex('f18080'), failAt: 'end' },
  { name: 'valid text ending in half a character (6.6.2)', payload: join(KOSME, hex('ce')), failAt: 'end' },
  { name: 'U+10FFFF cut short at the end', payload: join(Buffer.from('abc'), hex('f48fbf')), failAt: 'end' },
  {
    name: 'one bad byte in the middle of 6 KB of valid text',
    payload: join(LONG_VALID, hex('ff'), LONG_VALID),
    failAt: LONG_VALID.length,
  },
];

const VALID: readonly (readonly [string, Uint8Array])[] = [
  ['the empty text', new Uint8Array(0)],
  ['"κόσμε" (6.2.1)', KOSME],
  ['U+0000 and U+007F', hex('007f')],
  ['U+0080 and U+07FF', hex('c280 dfbf')],
  ['U+0800 and U+D7FF', hex('e0a080 ed9fbf')],
  ['U+E000, U+FFFD and U+FFFF (6.11.1–6.11.3)', hex('ee8080 efbfbd efbfbf')],
  ['U+10000 and U+10FFFF (6.11.4)', hex('f0908080 f48fbfbf')],
  ['the noncharacters U+FDD0 and U+FFFE', hex('efb790 efbfbe')],
  ['mixed-width text', Buffer.from('a é € 𝄞 z')],
];

describe('§8.1 UTF-8 validation', () => {
  test('isValidUtf8 agrees with a fatal TextDecoder on every 1- and 2-byte sequence', () => {
    for (let a = 0; a < 256; a++) {
      assert.equal(isValidUtf8(Uint8Array.of(a)), decodes(Uint8Array.of(a)), `byte ${a.toString(16)}`);
      for (let b = 0; b < 256; b++) {
        const pair = Uint8Array.of(a, b);
        if (isValidUtf8(pair) !== decodes(pair)) assert.fail(`sequence ${Buffer.from(pair).toString('hex')}`);
      }
    }
  });

  test('isValidUtf8 agrees with a fatal TextDecoder on 3- and 4-byte sequences around every boundary', () => {
    const seconds = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
    for (let lead = 0xc0; lead <= 0xff; lead++) {
      for (const b of seconds) {
        for (const c of seconds) {
          const triple = Uint8Array.of(lead, b, c);
          if (isValidUtf8(triple) !== decodes(triple)) assert.fail(`sequence ${Buffer.from(triple).toString('hex')}`);
          for (const d of seconds) {
            const quad = Uint8Array.of(lead, b, c, d);
            if (isValidUtf8(quad) !== decodes(quad)) assert.fail(`sequence ${Buffer.from(quad).toString('hex')}`);
          }
        }
      }
    }
  });

  for (const [name, payload] of VALID) {
    test(`${name} is valid, whole and byte by byte`, () => {
      assert.equal(isValidUtf8(payload), true);
      const validator = new Utf8Validator();
      for (const byte of payload) assert.equal(validator.push(Uint8Array.of(byte)), true);
      assert.equal(validator.finish(), true);
    });
  }

  for (const { name, payload, failAt } of INVALID) {
    test(`${name} is invalid, and the validator says so at byte ${failAt}`, () => {
      assert.equal(decodes(payload), false, 'the case itself must be invalid UTF-8');
      assert.equal(isValidUtf8(payload), false);
      const validator = new Utf8Validator();
      const expected = failAt === 'end' ? payload.length : failAt;
      let failedAt = payload.length;
      for (let i = 0; i < payload.length; i++) {
        if (!validator.push(payload.subarray(i, i + 1))) {
          failedAt = i;
          break;
        }
      }
      assert.equal(failedAt, expected);
      if (failAt === 'end') assert.equal(validator.finish(), false);
    });
  }

  test('a validator is ready for a new text after finish(), whatever the last one was', () => {
    const validator = new Utf8Validator();
    validator.push(hex('e282'));
    assert.equal(validator.finish(), false);
    assert.equal(validator.push(Buffer.from('fresh')), true);
    assert.equal(validator.finish(), true);
    assert.equal(validator.push(hex('ff')), false);
    assert.equal(validator.push(Buffer.from('again')), true);
    assert.equal(validator.finish(), true);
  });

  test('a validator hands the bulk between piece boundaries to the host check', () => {
    const seen: string[] = [];
    const validator = new Utf8Validator((data) => {
      seen.push(Buffer.from(data).toString('hex'));
      return isValidUtf8(data);
    });
    assert.equal(validator.push(hex('61 62 e2 82')), true);
    assert.equal(validator.push(hex('ac 63 64')), true);
    assert.equal(validator.finish(), true);
    // The split "€" (e2 82 | ac) is stepped through by the validator itself, never bulk-checked in halves.
    assert.deepEqual(seen, ['6162', '6364']);
  });
});

/**
 * Feeds `stream` one byte at a time and answers the index of the byte after which the parser
 * reported an error, checking it is the only event and a 1007.
 */
function failureIndex(peer: Peer, stream: Uint8Array): number {
  const { parser, sink } = recordingParser(peer.readsFrom);
  const copy = Buffer.from(stream);
  for (let i = 0; i < copy.length; i++) {
    parser.receive(copy.subarray(i, i + 1));
    if (sink.events.length > 0) {
      assert.deepEqual(sink.events, [errorEvent(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload)]);
      return i;
    }
  }
  return -1;
}

/** Text fragments as frames, and for each payload byte where it lands in the stream. */
function fragmentStream(
  peer: Peer,
  payload: Uint8Array,
  cuts: readonly number[],
): { stream: Buffer; positions: number[]; frames: Buffer[] } {
  const bounds = [0, ...cuts, payload.length];
  const frames: Buffer[] = [];
  const positions: number[] = [];
  let offset = 0;
  for (let f = 0; f + 1 < bounds.length; f++) {
    const piece = payload.subarray(bounds[f]!, bounds[f + 1]!);
    const bytes = peer.frame(f === 0 ? Opcode.Text : Opcode.Continuation, piece, { fin: f + 2 === bounds.length });
    const headerLength = bytes.length - piece.length;
    for (let i = 0; i < piece.length; i++) positions.push(offset + headerLength + i);
    frames.push(bytes);
    offset += bytes.length;
  }
  return { stream: Buffer.concat(frames), positions, frames };
}

for (const peer of PEERS) {
  describe(`§8.1 UTF-8 in text messages (${peer.name})`, () => {
    for (const [name, payload] of VALID) {
      test(`${name} is delivered, whole, byte by byte and split in two fragments anywhere`, () => {
        const expected = [messageEvent(payload, false)];
        const single = peer.frame(Opcode.Text, payload);
        assert.deepEqual(parseStream(peer.readsFrom, single), expected);
        assert.deepEqual(parseBytewise(peer.readsFrom, single), expected);
        for (let cut = 0; cut <= payload.length; cut++) {
          const { stream } = fragmentStream(peer, payload, [cut]);
          assert.deepEqual(parseStream(peer.readsFrom, stream), expected, `cut at ${cut}`);
          assert.deepEqual(parseBytewise(peer.readsFrom, stream), expected, `cut at ${cut}, byte by byte`);
        }
      });
    }

    for (const { name, payload, failAt } of INVALID) {
      test(`${name} fails with 1007 as soon as byte ${failAt} arrives`, () => {
        const whole = peer.frame(Opcode.Text, payload);
        assert.deepEqual(parseStream(peer.readsFrom, whole), [
          errorEvent(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload),
        ]);

        // One frame, fed byte by byte: the failure comes with the invalid byte, not at the end.
        const header = whole.length - payload.length;
        const expectedSingle = failAt === 'end' ? whole.length - 1 : header + failAt;
        assert.equal(failureIndex(peer, whole), expectedSingle);

        // Two or three fragments, cut anywhere (every cut for short texts, a few for long ones).
        const cuts =
          payload.length <= 32
            ? Array.from({ length: payload.length + 1 }, (_, i) => [i])
            : [[1], [LONG_VALID.length], [LONG_VALID.length + 1], [1000, LONG_VALID.length + 500]];
        for (const cut of cuts) {
          const { stream, positions, frames } = fragmentStream(peer, payload, cut);
          const expected = failAt === 'end' ? stream.length - 1 : positions[failAt]!;
          assert.equal(failureIndex(peer, stream), expected, `cut at ${cut.join(',')}`);

          // Fed a frame at a time, the failure comes with the frame that holds the invalid byte.
          const { parser, sink } = recordingParser(peer.readsFrom);
          let frameEnd = 0;
          let failedInFrameEndingAt = -1;
          for (const bytes of frames) {
            frameEnd += bytes.length;
            parser.receive(Buffer.from(bytes));
            if (sink.events.length > 0) {
              failedInFrameEndingAt = frameEnd;
              break;
            }
          }
          assert.deepEqual(sink.events, [errorEvent(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload)]);
          const holdingFrameEnd = frames
            .map((_, f) => frames.slice(0, f + 1).reduce((sum, b) => sum + b.length, 0))
            .find((endOfFrame) => endOfFrame > expected);
          assert.equal(failedInFrameEndingAt, holdingFrameEnd, `cut at ${cut.join(',')}, a frame at a time`);
        }
      });
    }

    test('a long invalid text fed in 1000-byte chunks fails in the chunk holding the bad byte', () => {
      const payload = join(LONG_VALID, hex('ff'), LONG_VALID);
      const stream = peer.frame(Opcode.Text, payload);
      const header = stream.length - payload.length;
      const { parser, sink } = recordingParser(peer.readsFrom);
      let failedChunk = -1;
      for (let c = 0; c * 1000 < stream.length && failedChunk < 0; c++) {
        parser.receive(Buffer.from(stream.subarray(c * 1000, (c + 1) * 1000)));
        if (sink.events.length > 0) failedChunk = c;
      }
      assert.equal(failedChunk, Math.floor((header + LONG_VALID.length) / 1000));
    });

    test('binary messages are never UTF-8 checked', () => {
      const bytes = hex('ff fe c0 af eda080');
      assert.deepEqual(parseStream(peer.readsFrom, peer.frame(Opcode.Binary, bytes)), [messageEvent(bytes, true)]);
      const { stream } = fragmentStream(peer, bytes, [1]);
      stream[0] = (stream[0]! & 0xf0) | Opcode.Binary;
      assert.deepEqual(parseBytewise(peer.readsFrom, stream), [messageEvent(bytes, true)]);
    });

    test('a text message after a valid fragmented one starts with a fresh validator', () => {
      const first = fragmentStream(peer, hex('61 e2 82 ac'), [2]).stream;
      const second = peer.frame(Opcode.Text, hex('ac'));
      assert.deepEqual(parseBytewise(peer.readsFrom, Buffer.concat([first, second])), [
        messageEvent('a€', false),
        errorEvent(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload),
      ]);
    });
  });
}
