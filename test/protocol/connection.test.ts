import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CloseCode,
  Connection,
  ErrorCode,
  Opcode,
  ReadyState,
  type ConnectionHandler,
  WebSocketError,
  type ConnectionOptions,
} from '../../src/protocol/index.js';
import {
  clientFrame,
  closePayload,
  errorEvent,
  frameHeader,
  parseStream,
  serverFrame,
  type SinkEvent,
} from '../helpers/frames.js';

type Role = 'client' | 'server';

type HandlerEvent =
  | { readonly type: 'message'; readonly data: string; readonly isBinary: boolean; readonly rsv: number }
  | { readonly type: 'ping' | 'pong'; readonly data: string }
  | { readonly type: 'peer-close'; readonly code: number; readonly reason: string }
  | { readonly type: 'protocol-error'; readonly code: string; readonly closeCode: number };

/** A connection whose handler records events and the frames written, decoded as its peer would read them. */
function harness(role: Role, options: Omit<ConnectionOptions, 'role'> = {}) {
  const events: HandlerEvent[] = [];
  const writes: Uint8Array[] = [];
  const errors: WebSocketError[] = [];
  const handler: ConnectionHandler = {
    write: (bytes) => writes.push(Uint8Array.from(bytes)),
    onMessage: (data, isBinary, rsv) =>
      events.push({ type: 'message', data: Buffer.from(data).toString(), isBinary, rsv }),
    onPing: (data) => events.push({ type: 'ping', data: Buffer.from(data).toString() }),
    onPong: (data) => events.push({ type: 'pong', data: Buffer.from(data).toString() }),
    onPeerClose: (code, reason) => events.push({ type: 'peer-close', code, reason }),
    onProtocolError: (error) => {
      errors.push(error);
      events.push({ type: 'protocol-error', code: error.code, closeCode: error.closeCode });
    },
  };
  const connection = new Connection(handler, { role, ...options });
  /** What the peer sends: masked when the peer is a client. */
  const peerFrame = role === 'server' ? clientFrame : serverFrame;
  /** The frames this side wrote through the handler, as the peer's parser reads them. */
  const written = (): SinkEvent[] => parseStream(role, Buffer.concat(writes));
  return { connection, events, writes, errors, peerFrame, written };
}

const closeEvent = (code: number, reason = ''): SinkEvent => ({ type: 'close', code, reason });

for (const role of ['server', 'client'] as const) {
  describe(`§7 closing the connection (${role})`, () => {
    test('starts with no close sent or received and close code 1006', () => {
      const { connection } = harness(role);
      assert.equal(connection.role, role);
      assert.equal(connection.closeSent, false);
      assert.equal(connection.closeReceived, false);
      assert.equal(connection.closeCode, CloseCode.AbnormalClosure);
    });

    test("replies to the peer's close once, echoing its code (§5.5.1)", () => {
      const h = harness(role);
      h.connection.receive(h.peerFrame(Opcode.Close, closePayload(4001, 'bye')));
      assert.deepEqual(h.events, [{ type: 'peer-close', code: 4001, reason: 'bye' }]);
      assert.deepEqual(h.written(), [closeEvent(4001)]);
      assert.equal(h.connection.closeSent, true);
      assert.equal(h.connection.closeReceived, true);
      assert.equal(h.connection.closeCode, 4001);
      assert.equal(h.connection.closeReason, 'bye');
      // A second close from a misbehaving peer is past the end of the stream: nothing more happens.
      h.connection.receive(h.peerFrame(Opcode.Close, closePayload(1000)));
      assert.equal(h.writes.length, 1);
      assert.equal(h.events.length, 1);
    });

    test('answers a close with no code with an empty close, and reports 1005', () => {
      const h = harness(role);
      h.connection.receive(h.peerFrame(Opcode.Close));
      assert.deepEqual(h.events, [{ type: 'peer-close', code: CloseCode.NoStatusReceived, reason: '' }]);
      assert.equal(h.writes.length, 1);
      assert.deepEqual(h.written(), [closeEvent(CloseCode.NoStatusReceived)]);
      const payloadLength = h.writes[0]![1]! & 0x7f;
      assert.equal(payloadLength, 0, '1005 itself must never go on the wire');
    });

    test('does not reply when its own close went first, and reports the peer code', () => {
      const h = harness(role);
      const ours = h.connection.close(1000, 'done');
      assert.ok(ours);
      assert.deepEqual(parseStream(role, ours), [closeEvent(1000, 'done')]);
      assert.equal(h.connection.close(1001), undefined, 'a second close is never encoded');
      h.connection.receive(h.peerFrame(Opcode.Close, closePayload(1001, 'ok')));
      assert.equal(h.writes.length, 0);
      assert.deepEqual(h.events, [{ type: 'peer-close', code: 1001, reason: 'ok' }]);
      assert.equal(h.connection.closeCode, 1001);
    });

    test('close() with no code encodes an empty close frame', () => {
      const { connection } = harness(role);
      const frame = connection.close();
      assert.ok(frame);
      assert.equal(frame[1]! & 0x7f, 0);
      assert.deepEqual(parseStream(role, frame), [closeEvent(CloseCode.NoStatusReceived)]);
    });

    test('pongs every ping with the same payload (§5.5.2), before reporting it', () => {
      const h = harness(role);
      h.connection.receive(
        Buffer.concat([
          h.peerFrame(Opcode.Ping, 'one'),
          h.peerFrame(Opcode.Ping, ''),
          h.peerFrame(Opcode.Ping, 'x'.repeat(125)),
        ]),
      );
      assert.deepEqual(h.written(), [
        { type: 'pong', data: Buffer.from('one') },
        { type: 'pong', data: Buffer.alloc(0) },
        { type: 'pong', data: Buffer.from('x'.repeat(125)) },
      ]);
      assert.deepEqual(h.events, [
        { type: 'ping', data: 'one' },
        { type: 'ping', data: '' },
        { type: 'ping', data: 'x'.repeat(125) },
      ]);
    });

    test('with autoPong off, reports pings and writes nothing', () => {
      const h = harness(role, { autoPong: false });
      h.connection.receive(h.peerFrame(Opcode.Ping, 'p'));
      assert.deepEqual(h.events, [{ type: 'ping', data: 'p' }]);
      assert.equal(h.writes.length, 0);
    });

    test('reports pongs without answering them', () => {
      const h = harness(role);
      h.connection.receive(h.peerFrame(Opcode.Pong, 'unsolicited'));
      assert.deepEqual(h.events, [{ type: 'pong', data: 'unsolicited' }]);
      assert.equal(h.writes.length, 0);
    });

    test('never sends a pong after its close (§5.5.1)', () => {
      const h = harness(role);
      h.connection.close(1000);
      h.connection.receive(h.peerFrame(Opcode.Ping, 'late'));
      assert.deepEqual(h.events, [{ type: 'ping', data: 'late' }]);
      assert.equal(h.writes.length, 0);
    });

    test('still delivers data that arrives between its close and the peer close (§7.1.4)', () => {
      const h = harness(role);
      h.connection.close(1000);
      h.connection.receive(
        Buffer.concat([h.peerFrame(Opcode.Text, 'in flight'), h.peerFrame(Opcode.Close, closePayload(1000))]),
      );
      assert.deepEqual(h.events, [
        { type: 'message', data: 'in flight', isBinary: false, rsv: 0 },
        { type: 'peer-close', code: 1000, reason: '' },
      ]);
    });

    test('ignores everything after the peer close', () => {
      const h = harness(role);
      h.connection.receive(
        Buffer.concat([
          h.peerFrame(Opcode.Close, closePayload(1000)),
          h.peerFrame(Opcode.Text, 'after'),
          h.peerFrame(Opcode.Ping, 'after'),
        ]),
      );
      assert.deepEqual(h.events, [{ type: 'peer-close', code: 1000, reason: '' }]);
      assert.deepEqual(h.written(), [closeEvent(1000)]);
    });

    for (const [name, stream, code, closeCode] of [
      ['a reserved opcode', (f: typeof clientFrame) => f(0x3, ''), ErrorCode.ReservedOpcode, 1002],
      [
        'invalid UTF-8',
        (f: typeof clientFrame) => f(Opcode.Text, Uint8Array.of(0xc0, 0x80)),
        ErrorCode.InvalidUtf8,
        1007,
      ],
      [
        'an oversized message',
        (f: typeof clientFrame) => f(Opcode.Binary, new Uint8Array(11)),
        ErrorCode.MessageTooBig,
        1009,
      ],
      [
        'an invalid close code',
        (f: typeof clientFrame) => f(Opcode.Close, closePayload(1005)),
        ErrorCode.InvalidCloseCode,
        1002,
      ],
    ] as const) {
      test(`fails the connection on ${name} by sending a close with ${closeCode} (§7.1.7)`, () => {
        const h = harness(role, { maxPayload: 10 });
        h.connection.receive(stream(h.peerFrame));
        assert.deepEqual(h.events, [{ type: 'protocol-error', code, closeCode }]);
        const written = h.written();
        assert.equal(written.length, 1);
        assert.equal(written[0]!.type, 'close');
        assert.equal((written[0] as { code: number }).code, closeCode);
        assert.equal(h.connection.closeSent, true);
        assert.equal(h.connection.closeReceived, false);
        assert.equal(h.connection.closeCode, closeCode);
        // Later input is ignored; nothing more is written.
        h.connection.receive(h.peerFrame(Opcode.Ping, 'x'));
        assert.equal(h.writes.length, 1);
        assert.equal(h.events.length, 1);
      });
    }

    test('a protocol error after its own close sends no second close', () => {
      const h = harness(role);
      h.connection.close(1000);
      h.connection.receive(h.peerFrame(0xb, ''));
      assert.deepEqual(h.events, [{ type: 'protocol-error', code: ErrorCode.ReservedOpcode, closeCode: 1002 }]);
      assert.equal(h.writes.length, 0);
    });

    test('a wrongly masked frame fails with 1002', () => {
      const h = harness(role);
      const wrong = role === 'server' ? serverFrame : clientFrame;
      h.connection.receive(wrong(Opcode.Text, 'x'));
      const code = role === 'server' ? ErrorCode.UnmaskedClientFrame : ErrorCode.MaskedServerFrame;
      assert.deepEqual(h.events, [{ type: 'protocol-error', code, closeCode: 1002 }]);
      assert.deepEqual(
        h.written().map((e) => e.type),
        ['close'],
      );
    });

    test('the error close carries the error message as its reason', () => {
      const h = harness(role);
      h.connection.receive(h.peerFrame(Opcode.Continuation, 'x'));
      assert.deepEqual(h.written(), [closeEvent(1002, h.errors[0]!.message)]);
    });

    // §5.5: a control frame carries at most 125 bytes, 2 of them the code; 'é' is 2 bytes in UTF-8 but 1 UTF-16 unit.
    for (const [count, sent] of [
      [61, true],
      [62, false],
    ] as const) {
      test(`an error message of ${count} × 'é' (${count * 2} UTF-8 bytes) is ${sent ? 'sent' : 'left out'}`, () => {
        const h = harness(role);
        const message = 'é'.repeat(count);
        h.connection.onError(new WebSocketError(ErrorCode.ReservedOpcode, message));
        assert.deepEqual(h.written(), [closeEvent(1002, sent ? message : '')]);
      });
    }

    test('maxPayload applies from the header alone', () => {
      const h = harness(role, { maxPayload: 10 });
      h.connection.receive(frameHeader(Opcode.Binary, 11, { mask: role === 'server' }));
      assert.deepEqual(h.events, [{ type: 'protocol-error', code: ErrorCode.MessageTooBig, closeCode: 1009 }]);
    });

    test('delivers messages with their RSV bits when an extension allows them', () => {
      const h = harness(role, { messageRsvMask: 0x40 });
      h.connection.receive(h.peerFrame(Opcode.Binary, 'z', { rsv: 0x40 }));
      assert.deepEqual(h.events, [{ type: 'message', data: 'z', isBinary: true, rsv: 0x40 }]);
    });
  });
}

describe('§5.1 what each side sends', () => {
  test('a server encodes unmasked frames and has no masking key', () => {
    const { connection } = harness('server');
    assert.equal(connection.maskKey(), undefined);
    const frame = connection.encode(Opcode.Text, Buffer.from('hi'));
    assert.deepEqual(Buffer.from(frame), serverFrame(Opcode.Text, 'hi'));
  });

  test('a client masks every frame with a fresh key', () => {
    const { connection } = harness('client');
    const payload = Buffer.from('same payload');
    const first = connection.encode(Opcode.Text, payload);
    const second = connection.encode(Opcode.Text, payload);
    assert.equal(first[1]! & 0x80, 0x80);
    assert.notDeepEqual(first.subarray(2, 6), second.subarray(2, 6));
    assert.equal(payload.toString(), 'same payload', 'the caller buffer is left alone');
    assert.deepEqual(
      parseStream('client', Buffer.concat([first, second])).map((e) => e.type),
      ['message', 'message'],
    );
    const key = connection.maskKey();
    assert.ok(key);
    assert.equal(key.length, 4);
  });

  test('encode writes FIN and RSV as asked', () => {
    const { connection } = harness('server');
    const frame = connection.encode(Opcode.Binary, Buffer.from('x'), false, 0x40);
    assert.equal(frame[0], 0x40 | Opcode.Binary);
  });

  test('a client fails the connection with a masked close', () => {
    const h = harness('client');
    h.connection.receive(clientFrame(Opcode.Text, 'masked by the server'));
    assert.equal(h.writes[0]![1]! & 0x80, 0x80);
    assert.deepEqual(
      parseStream('client', h.writes[0]!).map((e) => e.type),
      ['close'],
    );
    assert.deepEqual(parseStream('server', h.writes[0]!), [errorEvent(ErrorCode.MaskedServerFrame, 1002)]);
  });
});

describe('§7.1.1 the transport closing, and the host failing the connection', () => {
  test('stopReading lets go of an incomplete message and ignores later input', () => {
    const h = harness('server');
    h.connection.receive(h.peerFrame(Opcode.Binary, Buffer.alloc(4096, 1), { fin: false }));
    const continuation = h.peerFrame(Opcode.Continuation, Buffer.alloc(4096, 2));
    h.connection.receive(continuation.subarray(0, 3));
    assert.ok(h.connection.bufferedBytes >= 4096, `holds ${h.connection.bufferedBytes} bytes`);
    h.connection.stopReading();
    assert.equal(h.connection.bufferedBytes, 0);
    h.connection.receive(continuation.subarray(3));
    h.connection.receive(h.peerFrame(Opcode.Ping, 'late'));
    assert.deepEqual(h.events, []);
    assert.deepEqual(h.writes, []);
  });

  test('fail stops reading, writes the close frame with the error code (§7.1.7) and reports it', () => {
    const h = harness('server');
    h.connection.receive(h.peerFrame(Opcode.Text, 'part', { fin: false }));
    h.connection.fail(new WebSocketError(ErrorCode.PingFlood, 'too many pings'));
    assert.equal(h.connection.bufferedBytes, 0);
    assert.equal(h.connection.closeSent, true);
    assert.equal(h.connection.closeCode, CloseCode.PolicyViolation);
    assert.deepEqual(h.written(), [closeEvent(CloseCode.PolicyViolation, 'too many pings')]);
    assert.deepEqual(h.events, [
      { type: 'protocol-error', code: ErrorCode.PingFlood, closeCode: CloseCode.PolicyViolation },
    ]);
    h.connection.receive(h.peerFrame(Opcode.Ping, 'late'));
    assert.equal(h.writes.length, 1, 'nothing answered after the failure');
  });
});

describe('§5.4 the fragments of a message this side sends', () => {
  test('a message sent in fragments opens with its type, goes on with continuations and ends with fin', () => {
    const { connection } = harness('server');
    assert.equal(connection.midMessage, false);
    assert.equal(connection.nextDataOpcode(false, false), Opcode.Text);
    assert.equal(connection.midMessage, true);
    // The type of a later fragment does not matter: only the first frame carries one.
    assert.equal(connection.nextDataOpcode(true, false), Opcode.Continuation);
    assert.equal(connection.nextDataOpcode(true, true), Opcode.Continuation);
    assert.equal(connection.midMessage, false);
    assert.equal(connection.nextDataOpcode(true, true), Opcode.Binary);
    assert.equal(connection.nextDataOpcode(false, true), Opcode.Text);
    assert.equal(connection.midMessage, false);
  });
});

describe('§7.1.4 a closing handshake that completes', () => {
  test('is complete once both close frames crossed, whichever side began', () => {
    const ours = harness('server');
    assert.equal(ours.connection.closedCleanly, false);
    ours.connection.close(CloseCode.Normal);
    assert.equal(ours.connection.closedCleanly, false, 'our close alone does not complete it');
    ours.connection.receive(ours.peerFrame(Opcode.Close, closePayload(CloseCode.Normal)));
    assert.equal(ours.connection.closedCleanly, true);

    const theirs = harness('client');
    theirs.connection.receive(theirs.peerFrame(Opcode.Close, closePayload(4000)));
    assert.equal(theirs.connection.closedCleanly, true, 'the reply completes it');
  });

  test('is not complete when the connection failed before the peer answered', () => {
    const h = harness('server');
    h.connection.receive(h.peerFrame(Opcode.Text, Buffer.from([0xff])));
    assert.equal(h.connection.closeSent, true);
    assert.equal(h.connection.closedCleanly, false);
  });
});

describe('the ready state (WHATWG readyState over RFC 6455 §7)', () => {
  test('is OPEN from the start and CLOSING once this side sends its close', () => {
    const { connection } = harness('client');
    assert.equal(connection.readyState, ReadyState.OPEN);
    connection.close();
    assert.equal(connection.readyState, ReadyState.CLOSING);
    connection.transportClosed();
    assert.equal(connection.readyState, ReadyState.CLOSED);
  });

  test("is CLOSING once the peer's close arrives, or the connection fails", () => {
    const theirs = harness('server');
    theirs.connection.receive(theirs.peerFrame(Opcode.Close, closePayload(CloseCode.Normal)));
    assert.equal(theirs.connection.readyState, ReadyState.CLOSING);

    const failed = harness('server');
    failed.connection.fail(new WebSocketError(ErrorCode.PingFlood, 'too many pings'));
    assert.equal(failed.connection.readyState, ReadyState.CLOSING);
  });

  test('startClosing moves an open connection to CLOSING and never back from CLOSED', () => {
    const { connection } = harness('server');
    connection.startClosing();
    assert.equal(connection.readyState, ReadyState.CLOSING);
    assert.equal(connection.closeSent, false, 'no close frame is implied');
    connection.transportClosed();
    connection.startClosing();
    connection.close();
    assert.equal(connection.readyState, ReadyState.CLOSED);
  });
});
