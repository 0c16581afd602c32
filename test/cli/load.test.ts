import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LatencyHistogram } from '../../src/cli/load/latency-histogram.js';
import { PayloadMaker, sentMicros } from '../../src/cli/load/payload.js';
import type { LoadReport } from '../../src/cli/load/report.js';
import { spawnCli } from '../helpers/processes.js';
import { withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';
import { startServer as startWebSocketServer, type TestServer } from '../helpers/ws-peers.js';
import { startServer as startRealtimeServer, type Harness } from '../server/helpers.js';

/** Every run here sends for 1 s; with the drain and close, well under 3 s of load each. */
const SHORT = ['--duration', '1s'];

async function load(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  const handle = spawnCli(['load', ...args]);
  try {
    const { code } = await withTimeout(handle.exited, `load ${args.join(' ')} to exit`, 30_000);
    return { code, out: handle.stdout(), err: handle.stderr() };
  } finally {
    handle.kill();
  }
}

async function loadJson(args: readonly string[]): Promise<LoadReport> {
  const result = await load([...args, '--json']);
  assert.equal(result.code, 0, result.err);
  return JSON.parse(result.out) as LoadReport;
}

/** What every successful run must show: traffic, no error, ordered percentiles, a timeline. */
function assertHealthy(report: LoadReport, connections: number): void {
  assert.equal(report.errors.count, 0, JSON.stringify(report.errors));
  assert.deepEqual(report.connections, { opened: connections, failed: 0, closedEarly: 0 });
  assert.ok(report.messages.sent > 0, 'messages were sent');
  assert.ok(report.latencyMs.count > 0, 'replies were timed');
  const { p50, p90, p99, p999, max } = report.latencyMs;
  assert.ok(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max, JSON.stringify(report.latencyMs));
  assert.equal(
    report.latencyMs.histogram.reduce((sum, bin) => sum + bin.count, 0),
    report.latencyMs.count,
    'the histogram holds every reply',
  );
  assert.ok(report.timeline.length >= 1);
  assert.ok(report.cpu.percentOfOneCore >= 0 && report.cpu.userMs >= 0);
}

/** A WebSocket server that echoes on `/echo` and broadcasts to every client on `/broadcast`, counting messages. */
async function startLoadTarget(): Promise<TestServer & { received: () => number }> {
  const server = await startWebSocketServer();
  let received = 0;
  server.wss.on('connection', (socket, request) => {
    socket.on('message', (data) => {
      received++;
      if (request.url === '/broadcast') for (const client of server.wss.clients) client.send(data);
      else socket.send(data);
    });
  });
  return Object.assign(server, { received: () => received });
}

/** The realtime server with the handlers the help text shows. */
async function startRealtimeTarget(): Promise<Harness> {
  const harness = await startRealtimeServer();
  harness.io.on('connection', (socket) => {
    socket.on('echo', (data: string, ack?: (data: string) => void) => {
      if (typeof ack === 'function') ack(data);
      else socket.emit('echo', data);
    });
    socket.on('broadcast', (data: string) => harness.io.emit('broadcast', data));
  });
  return harness;
}

describe('switchboard load over WebSocket', () => {
  test('echo: every message comes back and is timed, as the server counted them', async () => {
    await withServer(startLoadTarget, async (server) => {
      const report = await loadJson([`${server.url}/echo`, '-c', '5', '--rate', '20', '--size', '100', ...SHORT]);
      assertHealthy(report, 5);
      assert.equal(report.protocol, 'websocket');
      assert.equal(report.messages.received, report.messages.sent);
      assert.equal(report.messages.unanswered, 0);
      assert.equal(server.received(), report.messages.sent);
    });
  });

  test('broadcast: each message reaches every connection, every delivery is timed', async () => {
    await withServer(startLoadTarget, async (server) => {
      const report = await loadJson([
        `${server.url}/broadcast`,
        '--pattern',
        'broadcast',
        '-c',
        '4',
        '--total-rate',
        '20',
        ...SHORT,
      ]);
      assertHealthy(report, 4);
      assert.equal(report.messages.unanswered, null);
      assert.equal(server.received(), report.messages.sent);
      assert.ok(report.messages.received > report.messages.sent, 'deliveries fan out');
      assert.ok(report.messages.received <= report.messages.sent * 4);
    });
  });

  test('the terminal summary and --report: percentiles, histogram, CPU, and a self-contained HTML page', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'load-report-'));
    try {
      await withServer(startLoadTarget, async (server) => {
        const file = join(directory, 'run.html');
        const result = await load([`${server.url}/echo`, '-c', '3', '--ramp', '10', '--report', file, ...SHORT]);
        assert.equal(result.code, 0, result.err);
        assert.match(
          result.out,
          /^Latency {6}p50 [\d.]+ ms {2}p90 [\d.]+ ms {2}p99 [\d.]+ ms {2}p99\.9 [\d.]+ ms {2}max [\d.]+ ms/m,
        );
        assert.match(result.out, /^ {2}\s*≤ [\d.]+ ms {2}█+/m);
        assert.match(result.out, /^Generator {4}CPU [\d.]+% of one core/m);
        assert.match(result.err, /3 connections \(10\/s\), 10 msg\/s each, 64-byte messages, 1 s/);
        const html = readFileSync(file, 'utf8');
        assert.match(html, /^<!doctype html>/);
        assert.equal(html.match(/<svg /g)?.length, 4);
        assert.match(html, /<polyline points="[\d., ]+"/);
        assert.doesNotMatch(html, /<script|src=|href=/i, 'nothing external, no script');
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('switchboard load over Socket.IO', () => {
  test('echo with acks, echo with events back, and broadcast', async () => {
    await withServer(startRealtimeTarget, async (harness) => {
      const acked = await loadJson([harness.url, '--sio', '--ack', '-c', '3', '--rate', '20', ...SHORT]);
      assertHealthy(acked, 3);
      assert.equal(acked.protocol, 'socket.io');
      assert.equal(acked.settings.ack, true);
      assert.equal(acked.messages.received, acked.messages.sent);

      const echoed = await loadJson([harness.url, '--sio', '-c', '3', '--rate', '20', '--size', '1k', ...SHORT]);
      assertHealthy(echoed, 3);
      assert.equal(echoed.messages.received, echoed.messages.sent);

      const broadcast = await loadJson([
        harness.url,
        '--sio',
        '--pattern',
        'broadcast',
        '-c',
        '3',
        '--total-rate',
        '10',
        ...SHORT,
      ]);
      assertHealthy(broadcast, 3);
      assert.equal(broadcast.settings.event, 'broadcast');
      assert.ok(broadcast.messages.received > broadcast.messages.sent, 'deliveries fan out');
    });
  });
});

describe('switchboard load errors', () => {
  test('a refused URL exits 1 with a clear message', async () => {
    await withServer(startLoadTarget, async (server) => {
      const port = server.port;
      await server.close();
      const result = await load([`ws://127.0.0.1:${port}/`, '-c', '2', ...SHORT]);
      assert.equal(result.code, 1);
      assert.match(result.err, new RegExp(`cannot connect to ws://127\\.0\\.0\\.1:${port}/: connection refused`));
      assert.equal(result.out, '');
    });
  });

  test('wrong flags exit 2 and name what to use', async () => {
    for (const [args, message] of [
      [['ws://127.0.0.1:1', '--bogus'], /Unknown option '--bogus'/],
      [['ws://127.0.0.1:1', '--duration', '90m'], /--duration must be from 100ms to 1h/],
      [['ws://127.0.0.1:1', '--rate', '5', '--total-rate', '5'], /give --rate \(per connection\) or --total-rate/],
      [['ws://127.0.0.1:1', '--ack'], /--ack needs --sio/],
      [['ws://127.0.0.1:1', '--sio', '--ack', '--pattern', 'broadcast'], /--ack times the echo pattern only/],
      [['ws://127.0.0.1:1', '--pattern', 'fanout'], /--pattern must be echo or broadcast/],
      [['ws://127.0.0.1:1', '-c', '0'], /--connections must be a whole number from 1/],
      [['ws://127.0.0.1:1', '--size', '8'], /--size must be from 18 bytes/],
      [['ws://127.0.0.1:1', '--report', '/no/such/dir/r.html'], /--report: the directory of/],
    ] as const) {
      const result = await load(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.err, message, args.join(' '));
    }
  });
});

describe('load internals', () => {
  test('the histogram percentiles are within 1% and its bins hold every sample', () => {
    const histogram = new LatencyHistogram();
    for (let micros = 1; micros <= 10_000; micros++) histogram.record(micros);
    const summary = histogram.summary();
    assert.equal(summary.count, 10_000);
    for (const [value, expected] of [
      [summary.p50, 5],
      [summary.p90, 9],
      [summary.p99, 9.9],
      [summary.p999, 9.99],
    ] as const) {
      assert.ok(Math.abs(value - expected) / expected <= 0.01, `${value} ≈ ${expected}`);
    }
    assert.equal(summary.max, 10);
    assert.equal(
      histogram.bins().reduce((sum, bin) => sum + bin.count, 0),
      10_000,
    );
  });

  test('a payload carries its send time, found in any bytes around it', () => {
    const payload = new PayloadMaker(40).make(1_234_567);
    assert.equal(payload.length, 40);
    assert.equal(sentMicros(Buffer.from(payload)), 1_234_567);
    assert.equal(sentMicros(Buffer.from(`421["echo","${payload}"]`)), 1_234_567);
    assert.equal(sentMicros(Buffer.from('42["echo","~sb~12x"]')), -1);
    assert.equal(sentMicros(Buffer.from('hello')), -1);
  });
});
