/**
 * The Engine.IO v4 decoders: HTTP long-polling payloads and WebSocket text packets. Invariants:
 * they throw only `EngineIOParseError`, `maxPackets` is kept, and what decodes encodes back to
 * input that decodes to the same packets.
 */
import fc from 'fast-check';
import {
  EngineIOParseError,
  ParseErrorCode,
  decodePacket,
  decodePayload,
  encodePacket,
  encodePayload,
} from '../../../src/protocol/engine-io/index.js';
import type { Packet } from '../../../src/protocol/engine-io/index.js';
import type { Random } from '../random.js';
import { FuzzFailure, expectSame, ownErrorOrNothing, utf8, type FuzzTarget } from '../target.js';

const text = new TextDecoder('utf-8');
const isOwnError = (error: unknown): boolean => error instanceof EngineIOParseError;

/** What `decode` answers, or the code of the `EngineIOParseError` it throws. */
function outcome<T>(decode: () => T): { value: T } | { error: string } {
  let value: T | undefined;
  const error = ownErrorOrNothing(() => {
    value = decode();
  }, isOwnError);
  return error === undefined ? { value: value as T } : { error: (error as EngineIOParseError).code };
}

const packetSpec = fc.oneof(
  fc.record({ type: fc.constantFrom('open', 'close', 'ping', 'pong', 'upgrade', 'noop') }),
  fc.record({ type: fc.constantFrom('ping', 'pong'), data: fc.constantFrom('probe', '') }),
  fc.record({ type: fc.constant('message'), data: fc.string({ maxLength: 40 }) }),
  fc.record({ type: fc.constant('message'), data: fc.uint8Array({ maxLength: 40 }) }),
);

/** The polling payload and packet decoders. */
export const engineIoTarget: FuzzTarget = {
  name: 'engine-io',
  description: 'the Engine.IO payload and packet decoders, with round trips through the encoders',
  seeds(seed) {
    const handWritten = [
      '0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
      '4hello\x1ebAQIDBA==\x1e2\x1e3probe\x1e6',
      '40/chat,{"token":"x"}\x1e42/chat,1["message","hi"]',
      '1',
    ];
    const sampled = fc
      .sample(fc.array(packetSpec, { minLength: 1, maxLength: 6 }), { numRuns: 30, seed })
      .map((packets) => encodePayload(packets as Packet[]));
    return [...handWritten, ...sampled].map(utf8);
  },
  check(input: Uint8Array, random: Random) {
    const payload = text.decode(input);
    const maxPackets = 1 + random.below(8);
    const limited = outcome(() => decodePayload(payload, { maxPackets }));
    if ('value' in limited && limited.value.length > maxPackets) {
      throw new FuzzFailure(`more than maxPackets (${maxPackets})`);
    }
    const result = outcome(() => decodePayload(payload));
    if ('error' in limited && limited.error === ParseErrorCode.TooManyPackets) {
      // The limit is checked as packets are read, so a later malformed packet may go unseen.
      if ('value' in result && result.value.length <= maxPackets) {
        throw new FuzzFailure(`refused for more than ${maxPackets} packets, but holds ${result.value.length}`);
      }
    } else {
      expectSame(limited, result, 'a payload within maxPackets decodes as without the limit');
    }
    if ('value' in result) {
      expectSame(
        outcome(() => decodePayload(encodePayload(result.value))),
        result,
        'decode(encode(decoded payload))',
      );
    }
    const packet = outcome(() => decodePacket(payload));
    if ('value' in packet) {
      expectSame(
        outcome(() => decodePacket(encodePacket(packet.value))),
        packet,
        'decode(encode(decoded packet))',
      );
    }
  },
};
