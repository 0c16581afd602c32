import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { promptHelp, runInteractive, type Terminal } from '../../src/cli/connect/interactive.js';
import { SocketIoEndpoint } from '../../src/cli/connect/socket-io-endpoint.js';
import { WebSocketEndpoint } from '../../src/cli/connect/websocket-endpoint.js';
import { until, withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';
import { startServer as startWebSocketServer, type TestServer } from '../helpers/ws-peers.js';
import { startServer as startRealtimeServer } from '../server/helpers.js';

/** A terminal the test types into; `prompt` set makes it a TTY, as a person at a keyboard has. */
function terminal(tty: boolean, signal = new AbortController().signal) {
  const input = new PassThrough();
  const screen = new PassThrough();
  let out = '';
  let err = '';
  const session: Terminal = {
    input,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    prompt: tty ? screen : undefined,
    signal,
  };
  return { session, type: (text: string) => input.write(text), end: () => input.end(), out: () => out, err: () => err };
}

/** A WebSocket server that echoes text and records the close code each client sent. */
async function startEcho(): Promise<TestServer & { closes: number[] }> {
  const server = await startWebSocketServer();
  const closes: number[] = [];
  server.wss.on('connection', (socket) => {
    socket.on('message', (data) => socket.send(data.toString()));
    socket.on('close', (code) => closes.push(code));
  });
  return Object.assign(server, { closes });
}

describe('connect at the prompt, bare WebSocket', () => {
  test('blank lines are skipped, /help lists the commands, script words are refused, /close ends with its code', async () => {
    await withServer(startEcho, async (server) => {
      const endpoint = await WebSocketEndpoint.open(new URL(server.url), [], {});
      const user = terminal(false);
      const session = runInteractive(endpoint, 'websocket', user.session);
      user.type('\n   \n/help\n');
      await until(
        () => user.out().includes('/ping [data]'),
        5000,
        () => `the help in ${user.out()}`,
      );
      assert.ok(user.out().includes(promptHelp('websocket')));
      user.type('/wait 1s\n/expect /x/\nhi there\n');
      await until(
        () => / < hi there$/m.test(user.out()),
        5000,
        () => `the echo in ${user.out()}`,
      );
      assert.equal(
        user.err(),
        'wait is for scripts (--execute, --script)\nexpect is for scripts (--execute, --script)\n',
      );
      assert.doesNotMatch(user.out(), / > \s*$/m, 'a blank line sends nothing');
      // Whatever is typed after /close is not sent: the connection is going away.
      user.type('/close 4001 bye\nafter close\n');
      assert.equal(await withTimeout(session, 'the session to end'), 0);
      assert.match(user.out(), / > close 4001 "bye"$/m);
      assert.match(user.out(), / \* closed 4001/m);
      assert.doesNotMatch(user.out(), /after close/);
      await until(() => server.closes.length === 1, 5000, 'the server to see the close');
      assert.deepEqual(server.closes, [4001]);
    });
  });

  test('on a terminal the prompt is drawn again below what arrives, and Ctrl+C closes with 1000', async () => {
    await withServer(startEcho, async (server) => {
      const endpoint = await WebSocketEndpoint.open(new URL(server.url), [], {});
      const user = terminal(true);
      const session = runInteractive(endpoint, 'websocket', user.session);
      user.type('hello\r');
      await until(
        () => user.out().includes('< hello'),
        5000,
        () => `the echo in ${JSON.stringify(user.out())}`,
      );
      // Each line starts by clearing the prompt's line, so arrivals never mix with what is being typed.
      assert.match(user.out(), /\r\x1b\[K\d\d:\d\d:\d\d\.\d{3} < hello\n/);
      user.type('/nope\r');
      await until(() => user.err() !== '', 5000, 'the refusal');
      assert.match(user.err(), /unknown command "nope"/);
      user.type('\x03');
      assert.equal(await withTimeout(session, 'Ctrl+C to end the session'), 0);
      assert.match(user.out(), /\r\x1b\[K\d\d:\d\d:\d\d\.\d{3} \* closed 1000\n$/);
      await until(() => server.closes.length === 1, 5000, 'the server to see the close');
      assert.deepEqual(server.closes, [1000]);
    });
  });

  test('a connection the server drops ends the session with 1', async () => {
    await withServer(startEcho, async (server) => {
      const endpoint = await WebSocketEndpoint.open(new URL(server.url), [], {});
      const user = terminal(false);
      const session = runInteractive(endpoint, 'websocket', user.session);
      for (const client of server.wss.clients) client.terminate();
      assert.equal(await withTimeout(session, 'the session to end'), 1);
      assert.match(user.out(), / \* connection lost \(1006\)$/m);
    });
  });
});

describe('connect at the prompt, Socket.IO', () => {
  test('plain text is refused with a hint, emit is acknowledged, /help and /close work, abort closes', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      harness.io.on('connection', (socket) => {
        socket.on('double', (n: number, ack: (result: number) => void) => ack(n * 2));
      });
      const url = new URL(`${harness.url}/`);
      const open = () =>
        SocketIoEndpoint.open({
          url,
          path: '/socket.io/',
          namespace: '/',
          auth: undefined,
          socketOptions: {},
          timeoutMs: 5000,
        });

      const user = terminal(false);
      const session = runInteractive(await open(), 'socket.io', user.session);
      user.type('hello\n/help\nemit double 21\n');
      await until(
        () => / < ack 0 \[42\]$/m.test(user.out()),
        5000,
        () => `the ack in ${user.out()}`,
      );
      assert.equal(user.err(), 'type emit <event> [json args] (or /help)\n');
      assert.ok(user.out().includes(promptHelp('socket.io')));
      user.type('/close\n');
      assert.equal(await withTimeout(session, 'the session to end'), 0);
      assert.match(user.out(), / > disconnect$/m);
      assert.match(user.out(), / \* disconnected$/m);

      const controller = new AbortController();
      const aborted = terminal(true, controller.signal);
      const second = runInteractive(await open(), 'socket.io', aborted.session);
      controller.abort();
      assert.equal(await withTimeout(second, 'the abort to end the session'), 0);
      assert.match(aborted.out(), / \* disconnected\n$/);
    });
  });
});
