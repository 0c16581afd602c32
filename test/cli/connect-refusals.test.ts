import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { connectFailure } from '../../src/cli/connect/target.js';
import { waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';
import { startServer as startWebSocketServer } from '../helpers/ws-peers.js';
import { startServer as startRealtimeServer } from '../server/helpers.js';
import { runInProcess } from './run-in-process.js';

const connect = (args: readonly string[], signal?: AbortSignal) => runInProcess(['connect', ...args], { signal });

/** Listens on an ephemeral loopback port with `server` and returns its port. */
async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('switchboard connect refuses a wrong command line with exit 2', () => {
  test('each wrong URL, option or script is named, with what to write instead', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'connect-refusals-'));
    try {
      const script = join(directory, 'steps.txt');
      writeFileSync(script, 'emit x {"a":\n');
      for (const [args, message] of [
        [
          ['ws://127.0.0.1:1', 'ws://127.0.0.1:2'],
          /connect takes one URL, got ws:\/\/127\.0\.0\.1:1 ws:\/\/127\.0\.0\.1:2/,
        ],
        [['ws://[::1'], /"ws:\/\/\[::1" is not a WebSocket URL/],
        [['ws://127.0.0.1:1/#top'], /a WebSocket URL has no #fragment, got "ws:\/\/127\.0\.0\.1:1\/#top"/],
        [['ws://127.0.0.1:1', '--auth', 'nocolon'], /--auth takes user:password, got "nocolon"/],
        [['ws://127.0.0.1:1', '--timeout', '0'], /--timeout must be more than 0/],
        [['ws://127.0.0.1:1', '--sio', '--path', 'io'], /--path must be a path like \/socket\.io\/, got "io"/],
        [['ws://127.0.0.1:1', '--sio-auth', '{}'], /--sio-auth needs --sio/],
        [['ws://127.0.0.1:1', '--sio', '--sio-auth', '{token'], /--sio-auth takes a JSON object .* got "\{token"/],
        [['ws://127.0.0.1:1', '--sio', '--sio-auth', '[1]'], /--sio-auth takes a JSON object .* got "\[1\]"/],
        [['ws://127.0.0.1:1', '-x', 'close', '--script', script], /give --execute or --script, not both/],
        [['ws://127.0.0.1:1', '--script', join(directory, 'absent.txt')], /--script: cannot read ".*absent\.txt"/],
        [['ws://127.0.0.1:1', '--sio', '--script', script], /steps\.txt line 1: emit: unterminated JSON value/],
        [['ws://127.0.0.1:1', '--sio', '-x', 'emit'], /emit takes an event name/],
        [['ws://127.0.0.1:1', '-x', `close 1000 ${'x'.repeat(124)}`], /a close reason is at most 123 bytes/],
        [['ws://127.0.0.1:1', '-x', 'expect //'], /expect takes a pattern/],
      ] as const) {
        const result = await connect(args);
        assert.equal(result.code, 2, args.join(' '));
        assert.match(result.err, message, args.join(' '));
        assert.equal(result.out, '', 'nothing is sent before the command line is checked');
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('switchboard connect says why it could not connect', () => {
  test('an HTTP server that does not upgrade: its status, and that no WebSocket is there', async () => {
    const server = createHttpServer((_, response) => response.writeHead(404).end());
    await withServer(
      () => server,
      async () => {
        const port = await listen(server);
        const result = await connect([`ws://127.0.0.1:${port}/feed`, '-x', 'close']);
        assert.equal(result.code, 1);
        assert.equal(
          result.err,
          `switchboard connect: cannot connect to ws://127.0.0.1:${port}/feed: Unexpected server response: 404 (the server did not accept a WebSocket there)\n`,
        );
      },
    );
  });

  test('a server that resets the connection', async () => {
    const server = net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await withServer(
      () => server,
      async () => {
        const port = await listen(server);
        const result = await connect([`ws://127.0.0.1:${port}/`, '-x', 'close']);
        assert.equal(result.code, 1);
        assert.match(result.err, /cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: the server reset the connection\n$/);
      },
    );
  });

  test('network error codes read as a few words; anything else as its own message', () => {
    const withCode = (code: string): Error => Object.assign(new Error(`getaddrinfo ${code}`), { code });
    assert.equal(connectFailure(withCode('ENOTFOUND')), 'host not found');
    assert.equal(connectFailure(withCode('EAI_AGAIN')), 'host not found');
    assert.equal(connectFailure(withCode('EHOSTUNREACH')), 'host unreachable');
    assert.equal(connectFailure(withCode('ENETUNREACH')), 'host unreachable');
    assert.equal(connectFailure(new Error('Opening handshake has timed out')), 'Opening handshake has timed out');
  });
});

describe('switchboard connect, what the user typed is honoured', () => {
  test('host:port without a scheme means ws://, and a server closing without a code is shown so', async () => {
    const start = async () => {
      const server = await startWebSocketServer();
      server.wss.on('connection', (socket) => socket.on('message', () => socket.close()));
      return server;
    };
    await withServer(start, async (server) => {
      const result = await connect([`127.0.0.1:${server.port}/x`, '-x', 'send bye', '-x', 'wait 2s']);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, new RegExp(` \\* connected to ws://127\\.0\\.0\\.1:${server.port}/x\\n`));
      assert.match(result.out, / \* closed without a code\n$/);
    });
  });

  test('binary messages show their size in words and at most 64 bytes in hex', async () => {
    const start = async () => {
      const server = await startWebSocketServer();
      server.wss.on('connection', (socket) => {
        socket.send(Buffer.alloc(0));
        socket.send(Buffer.from([7]));
        socket.send(Buffer.alloc(65, 0xab));
      });
      return server;
    };
    await withServer(start, async (server) => {
      const result = await connect([server.url, '-x', 'expect /65 bytes/']);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, / < \[binary 0 bytes\]\n/);
      assert.match(result.out, / < \[binary 1 byte\] 07\n/);
      assert.match(result.out, new RegExp(` < \\[binary 65 bytes\\] ${'ab '.repeat(63)}ab …\\n`));
    });
  });
});

describe('switchboard connect --sio sessions', () => {
  test('credentials in the URL reach the server, --path gets its trailing slash', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      harness.io.on('connection', (socket) => socket.emit('authorization', socket.handshake.headers.authorization));
      const url = harness.url.replace('http://', 'http://ann:p%40ss@');
      const result = await connect([`${url}/`, '--sio', '--path', '/socket.io', '-x', 'expect /authorization/']);
      assert.equal(result.code, 0, result.err);
      const basic = `Basic ${Buffer.from('ann:p@ss').toString('base64')}`;
      assert.ok(result.out.includes(` < event authorization ["${basic}"]\n`), result.out);
      assert.match(result.out, / \* connected to http:\/\/ann:\*\*\*@127\.0\.0\.1/);
    });
  });

  test('the server closing the session is a clean end; a script step after it is refused with exit 1', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      harness.io.on('connection', (socket) => socket.on('leave', () => socket.conn.close()));
      const result = await connect([harness.url, '--sio', '-x', 'emit leave', '-x', 'wait 1s', '-x', 'emit more']);
      assert.equal(result.code, 1);
      assert.match(result.out, / \* disconnected: the server closed the connection.* \(transport close\)\n$/);
      assert.equal(result.err, 'switchboard connect: --execute "emit more": the connection is already closed\n');
    });
  });

  test('an expect still waiting when the server disconnects fails at once, saying so', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      harness.io.on('connection', (socket) => socket.on('leave', () => socket.disconnect()));
      const result = await connect([harness.url, '--sio', '-x', 'emit leave', '-x', 'expect /never/ 10s']);
      assert.equal(result.code, 1);
      assert.equal(
        result.err,
        'switchboard connect: --execute "expect /never/ 10s": expected /never/, but the connection closed first\n',
      );
    });
  });

  test('an interrupted script stops before its next step and exits 1', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      const controller = new AbortController();
      harness.io.on('connection', () => setTimeout(() => controller.abort(), 50));
      const result = await connect([harness.url, '--sio', '-x', 'wait 10s', '-x', 'emit unsent'], controller.signal);
      assert.equal(result.code, 1);
      assert.equal(result.err, 'switchboard connect: interrupted\n');
      assert.doesNotMatch(result.out, /unsent/);
      assert.match(result.out, / \* disconnected\n$/);
    });
  });
});
