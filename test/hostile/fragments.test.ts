/**
 * A message streamed as 1-byte fragments (issue 10, item 3): RFC 6455 §5.4 allows any number of
 * continuation frames, so the server bounds their number (`maxFragments`, 1008 past it) and keeps
 * what a fragmented message costs in proportion to its bytes, not to its frames.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameParser } from '../../src/protocol/index.js';
import { ErrorCode, type WebSocket, type WebSocketError } from '../../src/ws/index.js';
import { clientFrame, RecordingSink } from '../helpers/frames.js';
import { RawClient } from '../helpers/ws-peers.js';
import { streamFragments } from './attackers.js';
import { startRealtimeTarget, startWebSocketTarget, type HostileTarget } from './targets.js';
import { waitFor } from '../helpers/wait.js';

async function openAttacker(target: HostileTarget): Promise<RawClient> {
  const attacker = await RawClient.open(target.port, target.webSocketPath);
  target.defer(() => attacker.destroy());
  assert.equal(attacker.status, 101);
  return attacker;
}

describe('1-byte fragment streams (RFC 6455 §5.4)', () => {
  test('WebSocketServer: the frame past maxFragments closes with 1008 (ERR_TOO_MANY_FRAGMENTS); others are served', async () => {
    const target = await startWebSocketTarget({ maxFragments: 100 });
    try {
      const accepted = waitFor<[WebSocket]>(target.wss, 'connection');
      const attacker = await openAttacker(target);
      const [serverSide] = await accepted;
      const failed = waitFor<[WebSocketError]>(serverSide, 'error');
      streamFragments(attacker, 1000);
      assert.equal(await attacker.readCloseCode(), 1008);
      assert.equal((await failed)[0].code, ErrorCode.TooManyFragments);
      await target.roundTrip();
      // A message of exactly maxFragments frames still goes through.
      const honest = await openAttacker(target);
      streamFragments(honest, 99, true);
      const echo = await honest.readFrame();
      assert.equal(echo?.payload.length, 100);
    } finally {
      await target.close();
    }
  });

  test('realtime Server: its WebSocket transport closes a stream past the default maxFragments (16,384) with 1008', async () => {
    const target = await startRealtimeTarget();
    try {
      const attacker = await openAttacker(target);
      streamFragments(attacker, 16_400);
      assert.equal(await attacker.readCloseCode(), 1008);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('without a fragment limit, a stream of 1-byte fragments holds about its bytes and ends at maxPayload with 1009', async () => {
    const maxPayload = 64 * 1024;
    // The parser of every connection, fed the attack as a socket would deliver it: one frame per read.
    const sink = new RecordingSink();
    const parser = new FrameParser(sink, { readsFrom: 'client', maxPayload, maxFragments: Infinity });
    parser.receive(clientFrame(0x1, 'a', { fin: false }));
    let most = 0;
    for (let received = 1; received < maxPayload; received++) {
      parser.receive(clientFrame(0x0, 'a', { fin: false }));
      most = Math.max(most, parser.bufferedBytes - 2.5 * (received + 1));
    }
    // "About 2.5 times the bytes received, plus a few hundred bytes", whatever the frame count.
    assert.ok(most <= 512, `the parser held ${most} bytes beyond 2.5 × the message so far`);
    parser.receive(clientFrame(0x0, 'a', { fin: false }));
    assert.deepEqual(sink.events.at(-1), { type: 'error', code: ErrorCode.MessageTooBig, closeCode: 1009 });
    assert.equal(parser.bufferedBytes, 0);

    // The same over a connection: a server with no fragment limit answers 1009 at maxPayload.
    const target = await startWebSocketTarget({ maxFragments: Infinity, maxPayload: 4096 });
    try {
      const attacker = await openAttacker(target);
      streamFragments(attacker, 5000);
      assert.equal(await attacker.readCloseCode(), 1009);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });
});
