import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { WebSocket as WsWebSocket } from 'ws';
import { computeAcceptKey, Opcode } from '../../src/protocol/index.js';
import { ErrorCode, WebSocket, WebSocketError } from '../../src/ws/index.js';
import { closePayload, frame, frameHeader, parseStream, type RawFrameOptions } from '../helpers/frames.js';
import { RawClient, startServer, type TestServer } from '../helpers/ws-peers.js';
import { nextMessage, openWsClient, ourClose } from './interop-shared.js';
import { waitFor } from '../helpers/wait.js';

// Every way a peer can break RFC 6455, sent over real sockets to the Node binding in both roles:
// the right close code goes on the wire, the right error is reported, and other connections never notice.

interface Violation {
  readonly name: string;
  /** The offending bytes, built for a sender that masks (`true`, a client) or not (a server). */
  readonly bytes: (masked: boolean) => Buffer;
  readonly code: string;
  readonly closeCode: number;
}

const LIMIT = 1000;

/** Random bytes, or a run of random frame-shaped pieces (any first byte, short lengths, masked as `masked` mostly says). */
function randomStream(masked: boolean): fc.Arbitrary<Uint8Array> {
  const piece = fc
    .record({
      first: fc.nat(255),
      length: fc.nat(127),
      flipMask: fc.nat(9),
      payload: fc.uint8Array({ maxLength: 130 }),
    })
    .map(({ first, length, flipMask, payload }) => {
      const mask = masked !== (flipMask === 0);
      return Buffer.concat([
        Uint8Array.of(first, (mask ? 0x80 : 0) | length),
        mask ? Uint8Array.of(9, 8, 7, 6) : new Uint8Array(0),
        payload,
      ]);
    });
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 300, size: 'max' }),
    fc.array(piece, { minLength: 1, maxLength: 6 }).map((pieces) => Uint8Array.from(Buffer.concat(pieces))),
  );
}

/** `frame` with the masking of the given sender. */
const f = (masked: boolean, opcode: number, payload?: string | Uint8Array, options: RawFrameOptions = {}): Buffer =>
  frame(opcode, payload, { mask: masked, ...options });

const VIOLATIONS: readonly Violation[] = [
  { name: 'wrong masking for the sender', bytes: (m) => f(!m, Opcode.Text, 'x'), code: 'masking', closeCode: 1002 },
  {
    name: 'RSV1 without an extension',
    bytes: (m) => f(m, Opcode.Text, 'x', { rsv: 0x40 }),
    code: ErrorCode.ReservedBits,
    closeCode: 1002,
  },
  {
    name: 'RSV2',
    bytes: (m) => f(m, Opcode.Binary, 'x', { rsv: 0x20 }),
    code: ErrorCode.ReservedBits,
    closeCode: 1002,
  },
  {
    name: 'RSV3 on a ping',
    bytes: (m) => f(m, Opcode.Ping, '', { rsv: 0x10 }),
    code: ErrorCode.ReservedBits,
    closeCode: 1002,
  },
  {
    name: 'RSV1 on a continuation',
    bytes: (m) =>
      Buffer.concat([f(m, Opcode.Text, 'a', { fin: false }), f(m, Opcode.Continuation, 'b', { rsv: 0x40 })]),
    code: ErrorCode.ReservedBits,
    closeCode: 1002,
  },
  { name: 'reserved opcode 0x3', bytes: (m) => f(m, 0x3, 'x'), code: ErrorCode.ReservedOpcode, closeCode: 1002 },
  { name: 'reserved opcode 0xF', bytes: (m) => f(m, 0xf, ''), code: ErrorCode.ReservedOpcode, closeCode: 1002 },
  {
    name: 'a ping of 126 bytes (header only)',
    bytes: (m) => frameHeader(Opcode.Ping, 126, { mask: m }),
    code: ErrorCode.ControlFrameTooLong,
    closeCode: 1002,
  },
  {
    name: 'a fragmented pong',
    bytes: (m) => f(m, Opcode.Pong, 'x', { fin: false }),
    code: ErrorCode.FragmentedControlFrame,
    closeCode: 1002,
  },
  {
    name: 'a continuation with no message',
    bytes: (m) => f(m, Opcode.Continuation, 'x'),
    code: ErrorCode.UnexpectedContinuation,
    closeCode: 1002,
  },
  {
    name: 'a text frame inside a fragmented binary message',
    bytes: (m) => Buffer.concat([f(m, Opcode.Binary, 'a', { fin: false }), f(m, Opcode.Text, 'b')]),
    code: ErrorCode.ExpectedContinuation,
    closeCode: 1002,
  },
  {
    name: 'a 64-bit length with its top bit set',
    bytes: (m) => frameHeader(Opcode.Binary, 0x8000000000000001n, { mask: m }),
    code: ErrorCode.InvalidFrameLength,
    closeCode: 1002,
  },
  {
    name: 'a close frame with a 1-byte payload',
    bytes: (m) => f(m, Opcode.Close, Uint8Array.of(3)),
    code: ErrorCode.InvalidClosePayload,
    closeCode: 1002,
  },
  {
    name: 'close code 1005 on the wire',
    bytes: (m) => f(m, Opcode.Close, closePayload(1005)),
    code: ErrorCode.InvalidCloseCode,
    closeCode: 1002,
  },
  {
    name: 'close code 999',
    bytes: (m) => f(m, Opcode.Close, closePayload(999)),
    code: ErrorCode.InvalidCloseCode,
    closeCode: 1002,
  },
  {
    name: 'close code 2999',
    bytes: (m) => f(m, Opcode.Close, closePayload(2999)),
    code: ErrorCode.InvalidCloseCode,
    closeCode: 1002,
  },
  {
    name: 'close code 5000',
    bytes: (m) => f(m, Opcode.Close, closePayload(5000)),
    code: ErrorCode.InvalidCloseCode,
    closeCode: 1002,
  },
  {
    name: 'a close reason that is not UTF-8',
    bytes: (m) => f(m, Opcode.Close, closePayload(1000, Uint8Array.of(0xed, 0xa0, 0x80))),
    code: ErrorCode.InvalidUtf8,
    closeCode: 1007,
  },
  {
    name: 'an overlong text message',
    bytes: (m) => f(m, Opcode.Text, Uint8Array.of(0xc0, 0xaf)),
    code: ErrorCode.InvalidUtf8,
    closeCode: 1007,
  },
  {
    // The final fragment is never sent: the failure must come with the invalid byte.
    name: 'invalid UTF-8 in the second fragment of an unfinished text message',
    bytes: (m) =>
      Buffer.concat([
        f(m, Opcode.Text, 'valid κόσμε', { fin: false }),
        f(m, Opcode.Continuation, Uint8Array.of(0x61, 0xf4, 0x90, 0x80), { fin: false }),
      ]),
    code: ErrorCode.InvalidUtf8,
    closeCode: 1007,
  },
  {
    name: 'a message over maxPayload (header only)',
    bytes: (m) => frameHeader(Opcode.Binary, LIMIT + 1, { mask: m }),
    code: ErrorCode.MessageTooBig,
    closeCode: 1009,
  },
  {
    name: 'fragments summing over maxPayload',
    bytes: (m) =>
      Buffer.concat([
        f(m, Opcode.Text, 'a'.repeat(LIMIT), { fin: false }),
        frameHeader(Opcode.Continuation, 1, { mask: m, fin: false }),
      ]),
    code: ErrorCode.MessageTooBig,
    closeCode: 1009,
  },
];

function expectedCode(violation: Violation, readsFrom: 'client' | 'server'): string {
  if (violation.code !== 'masking') return violation.code;
  return readsFrom === 'client' ? ErrorCode.UnmaskedClientFrame : ErrorCode.MaskedServerFrame;
}

describe('protocol violations: Switchboard server, raw client', () => {
  let server: TestServer;
  let bystander: WsWebSocket;

  before(async () => {
    server = await startServer({ maxPayload: LIMIT });
    server.wss.on('connection', (socket: WebSocket) => {
      socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
    });
    bystander = await openWsClient(server.url);
  });
  after(async () => {
    bystander.terminate();
    await server.close();
  });

  for (const violation of VIOLATIONS) {
    test(`${violation.name}: close ${violation.closeCode} on the wire, TCP closed, others unaffected`, async () => {
      const accepted = waitFor<[WebSocket]>(server.wss, 'connection');
      const raw = await RawClient.open(server.port);
      assert.equal(raw.status, 101);
      const [socket] = await accepted;
      const error = waitFor<[Error]>(socket, 'error');
      const closed = ourClose(socket);
      raw.write(violation.bytes(true));

      assert.equal(await raw.readCloseCode(), violation.closeCode);
      await raw.waitForEnd();
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, expectedCode(violation, 'client'));
      assert.equal(failure.closeCode, violation.closeCode);
      assert.equal((await closed).code, violation.closeCode);

      const echoed = nextMessage(bystander);
      bystander.send(`still here after ${violation.name}`);
      assert.equal((await echoed).data.toString(), `still here after ${violation.name}`);
    });
  }

  test('random bytes after the handshake get the close code the protocol core gives them, and bystanders notice nothing', async () => {
    const samples = fc.sample(randomStream(true), { numRuns: 40, seed: 6455 });
    const raws = await Promise.all(samples.map(() => RawClient.open(server.port)));
    for (let i = 0; i < raws.length; i++) raws[i]!.write(samples[i]!);
    for (let i = 0; i < raws.length; i++) {
      const last = parseStream('client', samples[i]!, { maxPayload: LIMIT }).at(-1);
      // A stream the core fails or closes gets that code back; the rest (a frame still incomplete) waits.
      if (last?.type === 'error' || last?.type === 'close') {
        const expected = last.type === 'error' ? last.closeCode : last.code;
        assert.equal(await raws[i]!.readCloseCode(), expected, Buffer.from(samples[i]!).toString('hex'));
      }
    }
    const echoed = nextMessage(bystander);
    bystander.send('still here');
    assert.equal((await echoed).data.toString(), 'still here');
    for (const raw of raws) raw.destroy();
  });
});

/** A TCP server that completes the opening handshake by hand, then lets the test write raw frames. */
async function rawServer(): Promise<{ url: string; nextPeer(): Promise<net.Socket>; close(): Promise<void> }> {
  const peers: net.Socket[] = [];
  const waiting: ((socket: net.Socket) => void)[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    peers.push(socket);
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? '';
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n`,
      );
      waiting.shift()?.(socket);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    nextPeer: () => new Promise((resolve) => waiting.push(resolve)),
    close: async () => {
      for (const peer of peers) peer.destroy();
      server.close();
      await waitFor(server, 'close');
    },
  };
}

/** Reads what a client wrote after the handshake until it closes TCP, and answers the code of its close frame. */
async function clientCloseCode(peer: net.Socket): Promise<number | undefined> {
  const chunks: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(peer, 'close', { signal: AbortSignal.timeout(5000) });
  const bytes = Buffer.concat(chunks);
  if (bytes.length < 2 || (bytes[0]! & 0x0f) !== Opcode.Close) return undefined;
  assert.equal(bytes[1]! & 0x80, 0x80, 'a client masks its close frame');
  const length = bytes[1]! & 0x7f;
  if (length < 2) return 1005;
  const key = bytes.subarray(2, 6);
  return ((bytes[6]! ^ key[0]!) << 8) | (bytes[7]! ^ key[1]!);
}

describe('protocol violations: raw server, Switchboard client', () => {
  let server: Awaited<ReturnType<typeof rawServer>>;
  before(async () => {
    server = await rawServer();
  });
  after(() => server.close());

  for (const violation of VIOLATIONS) {
    test(`${violation.name}: the client closes with ${violation.closeCode} and reports it`, async () => {
      const peerReady = server.nextPeer();
      const client = new WebSocket(server.url, { maxPayload: LIMIT, perMessageDeflate: false });
      await waitFor(client, 'open');
      const peer = await peerReady;
      const error = waitFor<[Error]>(client, 'error');
      const closed = ourClose(client);
      const sent = clientCloseCode(peer);
      peer.write(violation.bytes(false));

      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, expectedCode(violation, 'server'));
      assert.equal(await sent, violation.closeCode);
      // The client waits for the server to close TCP (RFC 6455 §7.1.1); this server never answers, so end it here.
      peer.end();
      const outcome = await closed;
      assert.equal(outcome.code, violation.closeCode);
      assert.equal(outcome.wasClean, false);
    });
  }

  test('random bytes from a server end in an error and a close, never in an exception', async () => {
    const samples = fc.sample(randomStream(false), { numRuns: 40, seed: 7692 });
    for (const bytes of samples) {
      const peerReady = server.nextPeer();
      const client = new WebSocket(server.url, { maxPayload: LIMIT, perMessageDeflate: false });
      const errors: unknown[] = [];
      client.on('error', (error) => errors.push(error));
      await waitFor(client, 'open');
      const peer = await peerReady;
      const closed = ourClose(client);
      peer.end(bytes);
      const outcome = await closed;
      // The binding must end as the protocol core reads the same bytes: failed with the error's
      // close code, closed with the peer's code, or (no close frame, no error) 1006.
      const events = parseStream('server', bytes, { maxPayload: LIMIT });
      const last = events.at(-1);
      const hex = Buffer.from(bytes).toString('hex');
      if (last?.type === 'error') {
        assert.equal(outcome.code, last.closeCode, hex);
        assert.equal(errors.length, 1, hex);
        assert.ok(errors[0] instanceof WebSocketError && errors[0].code === last.code, hex);
      } else {
        assert.equal(outcome.code, last?.type === 'close' ? last.code : 1006, hex);
        assert.deepEqual(errors, [], hex);
      }
    }
  });
});
