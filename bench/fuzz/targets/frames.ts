/**
 * The WebSocket frame parser (RFC 6455 §5), reading as a server (masked client frames) and as a
 * client. Invariants: `receive` never throws (a broken stream is one `onError` with a
 * `WebSocketError`, then silence), and any split of the stream gives the same events.
 */
import fc from 'fast-check';
import {
  FrameParser,
  Opcode,
  RSV1,
  WebSocketError,
  encodeClosePayload,
  encodeFrame,
} from '../../../src/protocol/index.js';
import type { FrameSink } from '../../../src/protocol/index.js';
import type { Random } from '../random.js';
import { FuzzFailure, expectSame, piecesAt, utf8, type FuzzTarget } from '../target.js';

type Event = readonly [kind: string, ...details: (string | number | boolean)[]];

class Recorder implements FrameSink {
  readonly events: Event[] = [];
  private stopped = false;

  onMessage(data: Uint8Array, isBinary: boolean, rsv: number): void {
    this.record(['message', Buffer.from(data).toString('hex'), isBinary, rsv]);
  }

  onPing(data: Uint8Array): void {
    this.record(['ping', Buffer.from(data).toString('hex')]);
  }

  onPong(data: Uint8Array): void {
    this.record(['pong', Buffer.from(data).toString('hex')]);
  }

  onClose(code: number, reason: string): void {
    this.record(['close', code, reason]);
  }

  onError(error: WebSocketError): void {
    if (!(error instanceof WebSocketError)) throw new FuzzFailure(`onError got ${String(error)}, not a WebSocketError`);
    this.record(['error', error.code, error.closeCode]);
    this.stopped = true;
  }

  private record(event: Event): void {
    if (this.stopped) throw new FuzzFailure(`an event after the parser reported an error: ${event.join(' ')}`);
    this.events.push(event);
  }
}

// Limits far below the defaults, so that mutated inputs of a few kilobytes reach them.
const LIMITS = { maxPayload: 2048, maxFragments: 8 } as const;

function parse(readsFrom: 'client' | 'server', pieces: readonly Uint8Array[], messageRsvMask: number): Event[] {
  const recorder = new Recorder();
  const parser = new FrameParser(recorder, { readsFrom, messageRsvMask, ...LIMITS });
  for (const piece of pieces) parser.receive(piece);
  return recorder.events;
}

const MASK = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** Frames as the peer sends them: masked when a client sends them (RFC 6455 §5.3). */
type FrameMaker = (opcode: number, payload: Uint8Array, fin?: boolean, rsv?: number) => Uint8Array;

function framesFrom(sender: 'client' | 'server'): FrameMaker {
  return (opcode, payload, fin = true, rsv = 0) =>
    encodeFrame(opcode, payload, sender === 'client' ? { fin, rsv, maskKey: MASK } : { fin, rsv });
}

const frameSpec = fc.record({
  opcode: fc.constantFrom(Opcode.Text, Opcode.Binary, Opcode.Continuation, Opcode.Ping, Opcode.Pong, Opcode.Close),
  payload: fc.uint8Array({ maxLength: 300 }),
  fin: fc.boolean(),
  rsv: fc.constantFrom(0, 0, 0, RSV1),
});

function frameTarget(readsFrom: 'client' | 'server'): FuzzTarget {
  const frame = framesFrom(readsFrom);
  return {
    name: `frames-from-${readsFrom}`,
    description: `the frame parser reading a ${readsFrom}'s frames, with and without RSV1 (permessage-deflate) allowed`,
    seeds(seed) {
      const hello = utf8('Hello, wörld');
      const handWritten = [
        frame(Opcode.Text, hello),
        frame(Opcode.Binary, new Uint8Array(200).fill(7)),
        frame(Opcode.Binary, new Uint8Array(300).fill(0xa5)),
        Buffer.concat([
          frame(Opcode.Text, utf8('fra'), false),
          frame(Opcode.Ping, utf8('p')),
          frame(Opcode.Continuation, utf8('gment')),
        ]),
        frame(Opcode.Close, encodeClosePayload(1000, 'bye')),
        frame(Opcode.Text, hello, true, RSV1),
        Buffer.concat([frame(Opcode.Pong, new Uint8Array(0)), frame(Opcode.Close, new Uint8Array(0))]),
      ];
      const sampled = fc
        .sample(fc.array(frameSpec, { minLength: 1, maxLength: 5 }), { numRuns: 40, seed })
        .map((specs) => Buffer.concat(specs.map(({ opcode, payload, fin, rsv }) => frame(opcode, payload, fin, rsv))));
      return [...handWritten, ...sampled];
    },
    check(input: Uint8Array, random: Random) {
      for (const rsvMask of [0, RSV1]) {
        const whole = parse(readsFrom, piecesAt(input, []), rsvMask);
        const split = parse(readsFrom, piecesAt(input, random.cuts(input.length, 6)), rsvMask);
        expectSame(split, whole, `events differ when the stream is split (messageRsvMask ${rsvMask})`);
      }
    },
  };
}

/** The frame parser in both roles. */
export const frameTargets: readonly FuzzTarget[] = [frameTarget('client'), frameTarget('server')];
