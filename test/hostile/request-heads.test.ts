/**
 * Hostile request heads (issue 10, items 4, 5 and 9): heads trickled a byte per write, heads that
 * stall, heads repeating one field tens of thousands of times, and heads that are no HTTP/1.1 at
 * all. The WebSocket server with a port reads heads itself; the realtime server's HTTP server is
 * the one `createHttpServer` makes. Each attacker gets its status, within its bounds of size and
 * time, and the healthy client is served meanwhile.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import type http from 'node:http';
import type net from 'node:net';
import { describe, test } from 'node:test';
import { HTTP_SERVER_LIMITS } from '../../src/engine/index.js';
import { RawClient, upgradeRequest } from '../helpers/ws-peers.js';
import { captureClientHello, connectTcp, readUntilClosed, SOCKET_IO_PATHS, statusOf, trickle } from './attackers.js';
import { startRealtimeTarget, startWebSocketTarget, type HostileTarget } from './targets.js';
import { waitFor } from '../helpers/wait.js';

/** Opens `count` connections to `target`, each to be cleaned up with it. */
async function connections(target: HostileTarget, count: number): Promise<net.Socket[]> {
  const sockets = await Promise.all(Array.from({ length: count }, () => connectTcp(target.port)));
  for (const socket of sockets) target.defer(() => socket.destroy());
  return sockets;
}

/** Trickles `head` `perWrite` bytes per write on every socket at once and resolves with each one's status. */
async function trickleAll(sockets: readonly net.Socket[], head: Buffer, perWrite = 1): Promise<(number | undefined)[]> {
  return Promise.all(
    sockets.map(async (socket) => {
      // Generous: a trickle of a thousand writes on a loaded machine takes a while.
      const answer = readUntilClosed(socket, 20_000);
      await trickle(socket, head, perWrite);
      return statusOf((await answer).text);
    }),
  );
}

/** An upgrade request to `path` whose last header line repeats `X-Pad` until the head is `size` bytes. */
function paddedHead(path: string, size: number): Buffer {
  const base = upgradeRequest(path);
  const padding = size - base.length - 'X-Pad: \r\n'.length;
  return Buffer.from(upgradeRequest(path, `X-Pad: ${'a'.repeat(Math.max(0, padding))}\r\n`), 'latin1');
}

/** Heads that are no HTTP/1.1 request, or an upgrade a proxy could read differently (RFC 9112 §2.2, §6.1). */
async function malformedHeads(path: string): Promise<Record<string, Buffer>> {
  return {
    'bare-LF head': Buffer.from(upgradeRequest(path).replaceAll('\r\n', '\n'), 'latin1'),
    'TLS ClientHello': await captureClientHello(),
    'Content-Length with Transfer-Encoding on an upgrade': Buffer.from(
      upgradeRequest(path, 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n',
      'latin1',
    ),
  };
}

describe('hostile request heads', () => {
  // Each test bounds one thing: the heads trickled past the size limit meet a time limit they cannot
  // reach however slowly a loaded machine runs them, and the stalled ones no size limit.
  test('WebSocketServer: 40 heads trickled a byte per write past maxHeaderSize get 431; a trickled valid head upgrades', async () => {
    const maxHeaderSize = 1024;
    const target = await startWebSocketTarget({ maxHeaderSize, handshakeTimeout: 60_000 });
    try {
      // Exactly maxHeaderSize bytes with no end in sight: the last one brings the 431, and nothing
      // written after it resets the connection before the answer is read.
      const oversized = trickleAll(
        await connections(target, 40),
        paddedHead('/', maxHeaderSize + 64).subarray(0, maxHeaderSize),
      );
      await target.roundTrip();
      assert.deepEqual(new Set(await oversized), new Set([431]));
      await target.roundTrip();
      const [honest] = await connections(target, 1);
      const accepted = waitFor(target.wss, 'connection');
      const answer = new Promise<string>((resolve) =>
        honest!.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))),
      );
      await trickle(honest!, paddedHead('/', maxHeaderSize - 1));
      await accepted;
      assert.equal(statusOf(await answer), 101);
    } finally {
      await target.close();
    }
  });

  test('WebSocketServer: 40 heads that stall get 408 at handshakeTimeout', async () => {
    const target = await startWebSocketTarget({ handshakeTimeout: 300 });
    try {
      const stalled = trickleAll(
        await connections(target, 40),
        Buffer.from(upgradeRequest('/').slice(0, 100), 'latin1'),
      );
      await target.roundTrip();
      assert.deepEqual(new Set(await stalled), new Set([408]));
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test(`realtime Server: heads trickled past ${HTTP_SERVER_LIMITS.maxHeaderSize} bytes get 431`, async () => {
    const target = await startRealtimeTarget({}, 'websocket', { headersTimeout: 60_000, requestTimeout: 60_000 });
    try {
      const oversized = trickleAll(
        await connections(target, 10),
        paddedHead(SOCKET_IO_PATHS.websocket, HTTP_SERVER_LIMITS.maxHeaderSize + 64),
        64,
      );
      await target.roundTrip();
      assert.deepEqual(new Set(await oversized), new Set([431]));
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('realtime Server: 40 heads that stall get 408 at headersTimeout', async () => {
    const target = await startRealtimeTarget({}, 'websocket', { headersTimeout: 500, requestTimeout: 1000 });
    try {
      const stalled = trickleAll(
        await connections(target, 40),
        Buffer.from(upgradeRequest(SOCKET_IO_PATHS.websocket).slice(0, 100), 'latin1'),
      );
      await target.roundTrip();
      assert.deepEqual(new Set(await stalled), new Set([408]));
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('WebSocketServer: a head repeating Set-Cookie 36,000 times (maxHeaderSize raised) is read whole', async () => {
    const repeats = 36_000;
    const target = await startWebSocketTarget({ maxHeaderSize: 1024 * 1024 });
    try {
      const accepted = waitFor<[unknown, http.IncomingMessage]>(target.wss, 'connection');
      const attacker = await RawClient.connect(target.port, upgradeRequest('/', 'Set-Cookie: a=1\r\n'.repeat(repeats)));
      target.defer(() => attacker.destroy());
      const [, request] = await accepted;
      assert.equal(request.headers['set-cookie']?.length, repeats);
      assert.equal(attacker.status, 101);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('realtime Server: a head repeating Set-Cookie past the HTTP server head limit gets 431', async () => {
    const target = await startRealtimeTarget();
    try {
      const [attacker] = await connections(target, 1);
      const answer = readUntilClosed(attacker!);
      attacker!.write(
        Buffer.from(upgradeRequest(SOCKET_IO_PATHS.websocket, 'Set-Cookie: a=1\r\n'.repeat(2000)), 'latin1'),
      );
      assert.equal(statusOf((await answer).text), 431);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  // A minute to answer by timeout: an answer within the few seconds these tests wait comes at once.
  const patient = { handshakeTimeout: 60_000 };
  for (const [name, start] of [
    ['WebSocketServer', () => startWebSocketTarget(patient)],
    ['realtime Server', () => startRealtimeTarget({}, 'websocket', { headersTimeout: 60_000, requestTimeout: 60_000 })],
  ] as const) {
    test(`${name}: a bare-LF head, a TLS ClientHello and Content-Length with Transfer-Encoding on an upgrade get 400 at once`, async () => {
      const target = await start();
      try {
        for (const [attack, bytes] of Object.entries(await malformedHeads(target.webSocketPath))) {
          const [attacker] = await connections(target, 1);
          const answer = readUntilClosed(attacker!);
          attacker!.write(bytes);
          const { text, closed } = await answer;
          assert.equal(statusOf(text), 400, `${attack}: ${JSON.stringify(text)}`);
          assert.equal(closed, true, attack);
        }
        await target.roundTrip();
      } finally {
        await target.close();
      }
    });
  }
});
