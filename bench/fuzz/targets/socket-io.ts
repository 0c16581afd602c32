/**
 * The Socket.IO v5 decoder, fed a sequence of Engine.IO messages (text packets, and the binary
 * attachments of BINARY_EVENT/BINARY_ACK). Invariants: it throws only `SocketIoParseError`, and a
 * packet it returns encodes to messages that decode to a packet encoding the same way (the
 * encoding is the canonical form: JSON keeps no difference between -0 and 0).
 */
import fc from 'fast-check';
import { Decoder, SocketIoParseError, encodePacket } from '../../../src/protocol/socket-io/index.js';
import type { Packet } from '../../../src/protocol/socket-io/index.js';
import type { Random } from '../random.js';
import { FuzzFailure, expectSame, ownErrorOrNothing, type FuzzTarget } from '../target.js';

const isOwnError = (error: unknown): boolean => error instanceof SocketIoParseError;
const text = new TextDecoder('utf-8');
/** Separates the messages in an input; a message starting with {@link BINARY} is a binary one. */
const SEPARATOR = 0x00;
const BINARY = 0x01;
// Small limits, reached by inputs of a few kilobytes.
const LIMITS = { maxAttachments: 4, maxAttachmentBytes: 1024, maxArguments: 32, maxNestingDepth: 16 } as const;

/** The input's messages: text, or bytes for those starting with {@link BINARY}. */
function messages(input: Uint8Array): (string | Uint8Array)[] {
  const out: (string | Uint8Array)[] = [];
  let start = 0;
  for (;;) {
    let end = input.indexOf(SEPARATOR, start);
    if (end === -1) end = input.length;
    const piece = input.subarray(start, end);
    out.push(piece[0] === BINARY ? piece.slice(1) : text.decode(piece));
    if (end === input.length) return out;
    start = end + 1;
  }
}

/** The messages of a sequence as one input (the inverse of {@link messages} for seeds). */
function joined(parts: readonly (string | Uint8Array)[]): Uint8Array {
  return Buffer.concat(
    parts.flatMap((part, i) => {
      const bytes = typeof part === 'string' ? Buffer.from(part) : Buffer.concat([Uint8Array.of(BINARY), part]);
      return i === 0 ? [bytes] : [Uint8Array.of(SEPARATOR), bytes];
    }),
  );
}

/** What a packet encodes to, as comparable values. */
function encoded(packet: Packet): unknown[] {
  let parts: unknown[] = [];
  ownErrorOrNothing(
    () => {
      parts = encodePacket(packet).map((part) => (typeof part === 'string' ? part : Buffer.from(part).toString('hex')));
    },
    () => false,
  );
  return parts;
}

function roundTrip(packet: Packet): void {
  const [first, ...attachments] = encodePacket(packet);
  const decoder = new Decoder(LIMITS);
  let again: Packet | undefined;
  ownErrorOrNothing(
    () => {
      again = decoder.add(first);
      for (const attachment of attachments) again = decoder.add(attachment);
    },
    () => false,
  );
  if (again === undefined) throw new FuzzFailure('the encoded packet did not decode to a packet');
  expectSame(encoded(again), encoded(packet), 'encode(decode(encode(decoded packet)))');
}

const json = fc.jsonValue({ maxDepth: 3 });

/** The Socket.IO decoder and its round trip through the encoder. */
export const socketIoTarget: FuzzTarget = {
  name: 'socket-io',
  description: 'the Socket.IO decoder over message sequences with attachments, with round trips through the encoder',
  seeds(seed) {
    const handWritten: (string | Uint8Array)[][] = [
      ['0/chat,{"token":"abc"}'],
      ['2["message","hi",{"a":[1,2.5,null,true]}]'],
      ['21/admin,7["ping"]'],
      ['3/admin,7[{"ok":true}]'],
      [
        '52-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        Uint8Array.of(1, 2, 3),
        new Uint8Array(10),
      ],
      ['61-/chat,9[{"_placeholder":true,"num":0}]', Uint8Array.of(0xff)],
      ['4{"message":"refused","data":{"code":3}}', '1/chat,'],
    ];
    const sampled = fc
      .sample(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.array(json, { maxLength: 4 })), {
        numRuns: 30,
        seed,
      })
      .map(([event, args]) => [`2${JSON.stringify([event, ...args])}`]);
    return [...handWritten, ...sampled].map(joined);
  },
  check(input: Uint8Array, _random: Random) {
    const decoder = new Decoder(LIMITS);
    const decoded: Packet[] = [];
    const error = ownErrorOrNothing(() => {
      for (const message of messages(input)) {
        const packet = decoder.add(message);
        if (packet !== undefined) decoded.push(packet);
      }
    }, isOwnError);
    if (error === undefined && decoder.waitingForAttachments && decoder.bufferedBytes > LIMITS.maxAttachmentBytes) {
      throw new FuzzFailure(`holds ${decoder.bufferedBytes} bytes of attachments, above maxAttachmentBytes`);
    }
    for (const packet of decoded) roundTrip(packet);
  },
};
