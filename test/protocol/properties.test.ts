import assert from 'node:assert/strict';
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  FrameParser,
  Opcode,
  Utf8Validator,
  WebSocketError,
  applyMask,
  encodeFrame,
  isValidUtf8,
} from '../../src/protocol/index.js';
import { sha1 } from '../../src/protocol/sha1.js';
import {
  PEERS,
  RecordingSink,
  frame,
  messageEvent,
  parseStream,
  type Peer,
  type SinkEvent,
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

/** Cut points that split `length` bytes into pieces, sorted, possibly repeated (empty pieces). */
const cutsFor = (length: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: length }), { maxLength: 12 }).map((cuts) => cuts.sort((a, b) => a - b));

function pieces(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, data.length]) {
    out.push(data.subarray(start, cut));
    start = cut;
  }
  return out;
}

/** Feeds copies of `chunks` to a fresh parser and answers the events. */
function parseChunks(peer: Peer, chunks: readonly Uint8Array[], maxPayload?: number): SinkEvent[] {
  const sink = new RecordingSink();
  const parser = new FrameParser(
    sink,
    maxPayload === undefined ? { readsFrom: peer.readsFrom } : { readsFrom: peer.readsFrom, maxPayload },
  );
  for (const chunk of chunks) parser.receive(Uint8Array.from(chunk));
  return sink.events;
}

/** A message: its type, its payload and where it is cut into fragments. */
interface MessageSpec {
  readonly binary: boolean;
  readonly payload: Uint8Array;
  readonly cuts: number[];
  /** Indices of fragments followed by a ping. */
  readonly pingsAfter: number[];
}

/** Any Unicode scalar value: every UTF-8 sequence length, no surrogates. */
const scalar = fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff }));
const textBytes = fc
  .array(scalar, { maxLength: 40, size: 'medium' })
  .map((codePoints) => Uint8Array.from(Buffer.from(String.fromCodePoint(...codePoints), 'utf8')));
const messageSpec: fc.Arbitrary<MessageSpec> = fc
  .oneof(
    fc.record({ binary: fc.constant(false), payload: textBytes }),
    fc.record({ binary: fc.constant(true), payload: fc.uint8Array({ maxLength: 300, size: 'medium' }) }),
  )
  .chain(({ binary, payload }) =>
    fc.record({
      binary: fc.constant(binary),
      payload: fc.constant(payload),
      cuts: fc
        .array(fc.integer({ min: 0, max: payload.length }), { maxLength: 4 })
        .map((cuts) => cuts.sort((a, b) => a - b)),
      pingsAfter: fc.array(fc.nat(4), { maxLength: 2 }),
    }),
  );

/** The frames of a stream of messages as `peer` sends them, and the events a parser should report. */
function streamOf(peer: Peer, messages: readonly MessageSpec[], closeCode: number | undefined) {
  const frames: Uint8Array[] = [];
  const expected: SinkEvent[] = [];
  messages.forEach((message, m) => {
    const fragments = pieces(message.payload, message.cuts);
    fragments.forEach((fragment, f) => {
      const opcode = f === 0 ? (message.binary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation;
      frames.push(peer.frame(opcode, fragment, { fin: f === fragments.length - 1 }));
      if (f < fragments.length - 1 && message.pingsAfter.includes(f)) {
        const data = Buffer.from(`ping ${m}.${f}`);
        frames.push(peer.frame(Opcode.Ping, data));
        expected.push({ type: 'ping', data });
      }
    });
    expected.push(messageEvent(message.payload, message.binary));
  });
  if (closeCode !== undefined) {
    frames.push(
      peer.frame(Opcode.Close, Buffer.concat([Buffer.of(closeCode >> 8, closeCode & 0xff), Buffer.from('bye')])),
    );
    expected.push({ type: 'close', code: closeCode, reason: 'bye' });
  }
  return { stream: Buffer.concat(frames), expected };
}

const RUNS = { numRuns: 150 };

for (const peer of PEERS) {
  describe(`properties (${peer.name})`, () => {
    test('any split of a valid stream gives exactly the same sink calls as feeding it whole', () => {
      fc.assert(
        fc.property(
          fc.array(messageSpec, { maxLength: 6 }),
          fc.option(fc.constantFrom(1000, 1001, 3000, 4999), { nil: undefined }),
          fc.context(),
          (messages, closeCode, context) => {
            const { stream, expected } = streamOf(peer, messages, closeCode);
            const whole = parseChunks(peer, [stream]);
            assert.deepEqual(whole, expected);
            fc.pre(stream.length > 0);
            const cuts = fc.sample(cutsFor(stream.length), { numRuns: 4, seed: stream.length });
            for (const cut of cuts) {
              context.log(`cuts ${cut.join(',')}`);
              assert.deepEqual(parseChunks(peer, pieces(stream, cut)), whole);
            }
          },
        ),
        RUNS,
      );
    });

    test('one byte at a time gives the same sink calls as feeding the stream whole', () => {
      fc.assert(
        fc.property(fc.array(messageSpec, { maxLength: 4 }), (messages) => {
          const { stream, expected } = streamOf(peer, messages, 1000);
          const bytewise = Array.from(stream, (byte) => Uint8Array.of(byte));
          assert.deepEqual(parseChunks(peer, bytewise), expected);
        }),
        { numRuns: 60 },
      );
    });

    test('any split of a stream that breaks the protocol gives the same sink calls as whole', () => {
      // A valid prefix, then a broken frame: the failure, and the events before it, do not depend on the split.
      const broken = fc.oneof(
        fc.constant(peer.frame(0x3, 'reserved')),
        fc.constant(peer.wronglyMaskedFrame(Opcode.Text, 'mask')),
        fc.constant(peer.frame(Opcode.Text, Uint8Array.of(0x61, 0xed, 0xa0, 0x80, 0x62))),
        fc.constant(peer.frame(Opcode.Continuation, 'orphan')),
        fc.constant(peer.frame(Opcode.Binary, new Uint8Array(400))),
        fc.constant(peer.frame(Opcode.Ping, '', { rsv: 0x20 })),
        fc.constant(peer.frame(Opcode.Close, Uint8Array.of(0x03, 0xed))),
      );
      fc.assert(
        fc.property(
          fc.array(messageSpec, { maxLength: 3 }),
          broken,
          fc.array(fc.nat(), { maxLength: 8 }),
          (messages, bad, rawCuts) => {
            const { stream: prefix } = streamOf(peer, messages, undefined);
            const stream = Buffer.concat([prefix, bad, peer.frame(Opcode.Text, 'never seen')]);
            const whole = parseChunks(peer, [stream], 350);
            assert.equal(whole.at(-1)!.type, 'error');
            const cuts = rawCuts.map((cut) => cut % (stream.length + 1)).sort((a, b) => a - b);
            assert.deepEqual(parseChunks(peer, pieces(stream, cuts), 350), whole);
          },
        ),
        RUNS,
      );
    });

    test('encode then parse gives back every message, for any opcode, payload, fragmentation and mask', () => {
      const masked = peer.readsFrom === 'client';
      fc.assert(
        fc.property(
          messageSpec,
          fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 6, maxLength: 6 }),
          (message, keys) => {
            const payload = Uint8Array.from(message.payload);
            const fragments = pieces(payload, message.cuts);
            const frames = fragments.map((fragment, f) =>
              encodeFrame(f === 0 ? (message.binary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation, fragment, {
                fin: f === fragments.length - 1,
                maskKey: masked ? keys[f % keys.length] : undefined,
              }),
            );
            assert.deepEqual(payload, message.payload, 'encoding leaves the payload untouched');
            // The independent builder agrees byte for byte.
            fragments.forEach((fragment, f) => {
              const key = masked ? keys[f % keys.length] : undefined;
              const opcode = f === 0 ? (message.binary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation;
              assert.deepEqual(
                Buffer.from(frames[f]!),
                frame(opcode, fragment, { fin: f === fragments.length - 1, mask: key ?? false }),
              );
            });
            assert.deepEqual(parseStream(peer.readsFrom, Buffer.concat(frames)), [
              messageEvent(message.payload, message.binary),
            ]);
          },
        ),
        RUNS,
      );
    });

    test('random bytes never throw: at most one onError, with a WebSocketError, and nothing after it', () => {
      const frameLike = fc
        .record({
          first: fc.nat(255),
          length: fc.oneof(fc.nat(130), fc.constantFrom(126, 127)),
          masked: fc.boolean(),
          payload: fc.uint8Array({ maxLength: 140 }),
        })
        .map(({ first, length, masked, payload }) =>
          Buffer.concat([
            Uint8Array.of(first, (masked ? 0x80 : 0) | (length & 0x7f)),
            masked ? Uint8Array.of(1, 2, 3, 4) : new Uint8Array(0),
            payload,
          ]),
        );
      const input = fc.oneof(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(frameLike, { maxLength: 8 }).map((parts) => Uint8Array.from(Buffer.concat(parts))),
      );
      fc.assert(
        fc.property(input, fc.array(fc.nat(), { maxLength: 10 }), fc.nat(200), (bytes, rawCuts, maxPayload) => {
          const cuts = rawCuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b);
          const sink = new RecordingSink();
          const parser = new FrameParser(sink, {
            readsFrom: peer.readsFrom,
            maxPayload,
            messageRsvMask: maxPayload & 1 ? 0x40 : 0,
          });
          for (const chunk of pieces(bytes, cuts)) parser.receive(chunk);
          const errors = sink.events.filter((event) => event.type === 'error');
          assert.ok(errors.length <= 1);
          if (errors.length === 1) {
            assert.equal(sink.events.at(-1)!.type, 'error');
            assert.ok(sink.errors[0] instanceof WebSocketError);
            assert.ok([1002, 1007, 1009].includes(sink.errors[0]!.closeCode));
            assert.equal(parser.stopped, true);
          }
          const closes = sink.events.filter((event) => event.type === 'close');
          assert.ok(closes.length <= 1);
          if (closes.length === 1) assert.equal(sink.events.at(-1)!.type, 'close');
        }),
        { numRuns: 400 },
      );
    });

    for (const [checkName, isUtf8] of [
      ['the portable check', undefined],
      ["Node's buffer.isUtf8, as the binding uses", nodeIsUtf8],
    ] as const) {
      test(`a fragmented text message, fed in random chunks, is accepted exactly when TextDecoder accepts it (${checkName})`, () => {
        const utf8ish = fc
          .array(
            fc.oneof(
              textBytes,
              fc.uint8Array({ maxLength: 3 }),
              fc.constantFrom(
                Uint8Array.of(0xed, 0xa0, 0x80),
                Uint8Array.of(0xf4, 0x90),
                Uint8Array.of(0xc0, 0xaf),
                Uint8Array.of(0xe2, 0x82),
              ),
            ),
            { maxLength: 6 },
          )
          .map((parts) => Uint8Array.from(Buffer.concat(parts)));
        fc.assert(
          fc.property(
            utf8ish.chain((payload) =>
              fc.tuple(
                fc.constant(payload),
                cutsFor(payload.length),
                fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }),
              ),
            ),
            ([payload, cuts, chunkSizes]) => {
              const fragments = pieces(payload, cuts);
              const stream = Buffer.concat(
                fragments.map((fragment, f) =>
                  peer.frame(f === 0 ? Opcode.Text : Opcode.Continuation, fragment, {
                    fin: f === fragments.length - 1,
                  }),
                ),
              );
              const options = isUtf8 === undefined ? {} : { isUtf8 };
              for (const events of [
                parseStream(peer.readsFrom, stream, options),
                parseStream(peer.readsFrom, stream, options, chunkSizes),
              ]) {
                if (decodes(payload)) assert.deepEqual(events, [messageEvent(payload, false)]);
                else
                  assert.deepEqual(
                    events.map((event) => event.type === 'error' && event.closeCode),
                    [1007],
                  );
              }
            },
          ),
          { numRuns: 300 },
        );
      });
    }
  });
}

describe('properties of UTF-8, masking and SHA-1', () => {
  const mostlyUtf8 = fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: textBytes },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4 }) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            ...[0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff].map((b) => Uint8Array.of(b)),
          ),
        },
      ),
      { maxLength: 10 },
    )
    .map((parts) => Uint8Array.from(Buffer.concat(parts)));

  test('Utf8Validator over any split agrees with a fatal TextDecoder, with either bulk check', () => {
    fc.assert(
      fc.property(
        mostlyUtf8.chain((bytes) => fc.tuple(fc.constant(bytes), cutsFor(bytes.length), fc.boolean())),
        ([bytes, cuts, native]) => {
          const validator = native ? new Utf8Validator(nodeIsUtf8) : new Utf8Validator();
          let valid = true;
          for (const piece of pieces(bytes, cuts)) {
            if (!validator.push(piece)) {
              valid = false;
              break;
            }
          }
          if (valid) valid = validator.finish();
          assert.equal(valid, decodes(bytes));
          assert.equal(isValidUtf8(bytes), decodes(bytes));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('Utf8Validator fails at the first byte no valid text can continue from', () => {
    fc.assert(
      fc.property(mostlyUtf8, (bytes) => {
        // The shortest prefix that no continuation can rescue: the decoder in streaming mode rejects it.
        const streaming = new TextDecoder('utf-8', { fatal: true });
        let firstBad = -1;
        for (let i = 0; i < bytes.length && firstBad < 0; i++) {
          try {
            streaming.decode(bytes.subarray(i, i + 1), { stream: true });
          } catch {
            firstBad = i;
          }
        }
        const validator = new Utf8Validator();
        let failedAt = -1;
        for (let i = 0; i < bytes.length && failedAt < 0; i++)
          if (!validator.push(bytes.subarray(i, i + 1))) failedAt = i;
        assert.equal(failedAt, firstBad);
      }),
      { numRuns: 1000 },
    );
  });

  test('applyMask equals byte-wise masking, and twice is the identity, for any offset, phase and length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300, size: 'max' }),
        fc.nat(7),
        fc.nat(3),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (data, offset, phase, key) => {
          const backing = new Uint8Array(data.length + offset + 5).fill(0xa5);
          backing.set(data, offset);
          const view = backing.subarray(offset, offset + data.length);
          applyMask(view, key, phase);
          assert.deepEqual(
            view,
            data.map((byte, i) => byte ^ key[(phase + i) & 3]!),
          );
          applyMask(view, key, phase);
          assert.deepEqual(view, data);
          assert.ok(backing.subarray(0, offset).every((byte) => byte === 0xa5));
          assert.ok(backing.subarray(offset + data.length).every((byte) => byte === 0xa5));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('sha1 agrees with node:crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500, size: 'max' }), (data) => {
        assert.equal(Buffer.from(sha1(data)).toString('hex'), createHash('sha1').update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });
});
