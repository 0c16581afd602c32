import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatReport } from '../../src/cli/load/terminal-report.js';
import type { LoadReport } from '../../src/cli/load/report.js';
import { withServer } from '../helpers/with-server.js';
import { startServer as startWebSocketServer } from '../helpers/ws-peers.js';
import { startServer as startRealtimeServer } from '../server/helpers.js';
import { runInProcess } from './run-in-process.js';

const load = (args: readonly string[], options?: Parameters<typeof runInProcess>[1]) =>
  runInProcess(['load', ...args], options);

describe('switchboard load refuses a wrong command line with exit 2', () => {
  test('rates, sizes and Socket.IO-only options are checked before anything connects', async () => {
    for (const [args, message] of [
      [['--rate', 'fast'], /--rate must be a number above 0 \(per second\), got "fast"/],
      [['--ramp', '0'], /--ramp must be a number above 0/],
      [['--size', 'big'], /--size must be from 18 bytes .* got "big"/],
      [['--size', '17m'], /--size must be from 18 bytes .* to 16m, got "17m"/],
      [['--event', 'chat'], /--event needs --sio/],
      [['--sio', '--event', ''], /--event must not be empty/],
    ] as const) {
      const result = await load(['ws://127.0.0.1:1', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.err, message, args.join(' '));
      assert.equal(result.out, '');
    }
  });
});

describe('switchboard load against servers that misbehave', () => {
  test('connections the server closes are counted, their reason listed, and the run exits 1', async () => {
    const start = async () => {
      const server = await startWebSocketServer();
      server.wss.on('connection', (socket) => setTimeout(() => socket.close(4000), 100));
      return server;
    };
    await withServer(start, async (server) => {
      const result = await load([server.url, '-c', '2', '--duration', '600ms', '--size', '1m', '--rate', '1']);
      assert.equal(result.code, 1, result.err);
      assert.match(result.out, /^Connections {2}2 opened, 0 failed, 2 closed early$/m);
      assert.match(result.out, /^Errors {7}2$/m);
      assert.match(result.out, /^ +2 × closed by the server \(4000\)$/m);
      assert.match(result.err, /2 connections \(all at once\), 1 msg\/s each, 1048576-byte messages, 600 ms/);
    });
  });

  test('--sio against a namespace the server refuses: unreachable, with the refusal', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      const result = await load([`${harness.url}/missing`, '--sio', '-c', '1', '--duration', '200ms']);
      assert.equal(result.code, 1);
      assert.match(result.err, /cannot connect to .*\/missing: the server refused the namespace: Invalid namespace\n$/);
      assert.equal(result.out, '');
    });
  });

  test('--sio against a bare WebSocket server: no CONNECT answer within --timeout, or closed while opening', async () => {
    await withServer(startWebSocketServer, async (server) => {
      const silent = await load([server.url, '--sio', '-c', '1', '--duration', '200ms', '--timeout', '300ms']);
      assert.equal(silent.code, 1);
      assert.match(silent.err, /cannot connect to .*: no Socket\.IO CONNECT answer within 300 ms\n$/);

      server.wss.on('connection', (socket) => socket.close(1000));
      const closing = await load([server.url, '--sio', '-c', '1', '--duration', '200ms']);
      assert.equal(closing.code, 1);
      assert.match(closing.err, /: the server closed the connection \(1000\) while it opened\n$/);
    });
  });
});

describe('switchboard load, how the run is shown', () => {
  test('on a terminal the progress line is redrawn in place; Ctrl+C stops early and still reports', async () => {
    await withServer(
      () => startRealtimeServer({ pingInterval: 300, pingTimeout: 200 }),
      async (harness) => {
        harness.io.on('connection', (socket) => {
          socket.on('echo', (data: string, ack: (data: string) => void) => ack(data));
        });
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 1500);
        const result = await load([harness.url, '--sio', '--ack', '-c', '2', '--duration', '30s'], {
          signal: controller.signal,
          isTTY: true,
        });
        assert.equal(result.code, 0, result.err);
        assert.match(result.err, /\r\x1b\[K {3}1 s {2}connections 2\/2 {2}sent \d+\/s/);
        assert.match(result.out, /^Interrupted after 1\.\d+ s\.$/m);
        // A ping left unanswered would have closed a session within 500 ms: each one was answered.
        assert.match(result.out, /^Connections {2}2 opened, 0 failed, 0 closed early$/m);
      },
    );
  });

  test('the summary says when nothing replied, what was skipped, and when the generator was the limit', () => {
    const report = {
      interrupted: false,
      elapsedMs: 1000,
      connections: { opened: 1, failed: 0, closedEarly: 0 },
      messages: { sent: 10, sentPerSecond: 10, received: 0, receivedPerSecond: 0, unanswered: 10, throttled: 3 },
      errors: { count: 0, messages: [] },
      latencyMs: { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, histogram: [] },
      cpu: { userMs: 950, systemMs: 50, percentOfOneCore: 97, saturated: true },
    } as unknown as LoadReport;
    const text = formatReport(report);
    assert.match(
      text,
      /^Messages {5}10 sent \(10\/s\), 0 received \(0\/s\), 10 unanswered, 3 skipped \(send buffer full\)$/m,
    );
    assert.match(text, /^Latency {6}no replies$/m);
    assert.match(text, /^Warning: the generator used 97% of a core \(≥ 90%\): it may have been the bottleneck/m);
  });
});
