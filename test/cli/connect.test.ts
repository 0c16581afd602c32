import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/cli/command.js';
import { parseJsonArguments } from '../../src/cli/connect/json-arguments.js';
import { parseStep } from '../../src/cli/connect/steps.js';
import { REPO_ROOT, spawnCli, type ChildHandle } from '../helpers/processes.js';
import { until, withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';
import { startServer as startWebSocketServer, type TestServer } from '../helpers/ws-peers.js';
import { startServer as startRealtimeServer } from '../server/helpers.js';

/** A transcript line: local time to the millisecond, a marker, the text. */
const STAMP = String.raw`\d\d:\d\d:\d\d\.\d{3}`;

function line(marker: '<' | '>' | '*', text: string): RegExp {
  return new RegExp(`^${STAMP} ${marker === '*' ? '\\*' : marker} ${text}$`, 'm');
}

/** Runs `switchboard connect` to its end and resolves with its exit code and output. */
async function connect(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  const handle: ChildHandle = spawnCli(['connect', ...args]);
  try {
    const { code } = await withTimeout(handle.exited, `connect ${args.join(' ')} to exit`, 20_000);
    return { code, out: handle.stdout(), err: handle.stderr() };
  } finally {
    handle.kill();
  }
}

/** A WebSocket server that greets each client, echoes what it gets, and keeps the requests' headers. */
async function startEchoServer(): Promise<TestServer & { heads: IncomingHttpHeaders[]; closes: number[] }> {
  const server = await startWebSocketServer({ handleProtocols: (protocols) => [...protocols][0] ?? false });
  const heads: IncomingHttpHeaders[] = [];
  const closes: number[] = [];
  server.wss.on('connection', (socket, request) => {
    heads.push(request.headers);
    socket.send('welcome');
    socket.send(Buffer.from([1, 2, 255]));
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('close', (code) => closes.push(code));
  });
  return Object.assign(server, { heads, closes });
}

describe('switchboard connect, interactive', () => {
  test('piped lines are sent, what arrives is shown with its time, the end of input closes with 1000', async () => {
    await withServer(startEchoServer, async (server) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'connect', server.url], {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      try {
        // The greeting's two messages may reach this process in two chunks of the child's output.
        await until(
          () => out.includes('< welcome') && out.includes('[binary 3 bytes]'),
          15_000,
          () => `the greeting in ${JSON.stringify(out + err)}`,
        );
        assert.match(out, line('*', `connected to ${server.url}/`));
        assert.match(out, line('<', String.raw`\[binary 3 bytes\] 01 02 ff`));
        child.stdin.write('hello there\n');
        await until(
          () => /< hello there$/m.test(out),
          5000,
          () => `the echo in ${JSON.stringify(out)}`,
        );
        assert.match(out, line('>', 'hello there'));
        assert.match(out, line('<', 'hello there'));
        child.stdin.write('/ping abc\n/bogus\n');
        await until(
          () => out.includes('* pong "abc"') && err !== '',
          5000,
          () => JSON.stringify(out + err),
        );
        assert.match(err, /unknown command "bogus"/);
        child.stdin.end();
        assert.equal(await withTimeout(exited, 'connect to exit after the end of input'), 0);
        assert.match(out, line('*', 'closed 1000'));
        await until(() => server.closes.length === 1, 5000, 'the server to see the close');
        assert.deepEqual(server.closes, [1000]);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
});

describe('switchboard connect --execute', () => {
  test('headers, Basic auth and the subprotocol reach the server', async () => {
    await withServer(startEchoServer, async (server) => {
      const flags = [
        '-H',
        'X-Trace: abc 123',
        '--auth',
        'ada:s3cret:x',
        '-s',
        'chat.v1',
        '-s',
        'chat.v2',
        '-x',
        'close',
      ];
      const result = await connect([server.url, ...flags]);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, line('*', `connected to ${server.url}/ \\(subprotocol chat.v1\\)`));
      const [head] = server.heads;
      assert.equal(head?.['x-trace'], 'abc 123');
      assert.equal(head?.authorization, `Basic ${Buffer.from('ada:s3cret:x').toString('base64')}`);
      assert.equal(head?.['sec-websocket-protocol'], 'chat.v1, chat.v2');

      const inUrl = await connect([server.url.replace('ws://', 'ws://bob:pw@'), '-x', 'close']);
      assert.equal(inUrl.code, 0, inUrl.err);
      assert.equal(server.heads[1]?.authorization, `Basic ${Buffer.from('bob:pw').toString('base64')}`);
      assert.doesNotMatch(inUrl.out, /bob:pw@/, 'the password is not printed');
    });
  });

  test('a script whose expects all match exits 0; one that does not match exits 1', async () => {
    await withServer(startEchoServer, async (server) => {
      const passing = await connect([server.url, '-x', 'send ping-1', '-x', 'expect ^ping-1$ 5s', '-x', 'print done']);
      assert.equal(passing.code, 0, passing.err);
      assert.match(passing.out, line('<', 'ping-1'));
      assert.match(passing.out, /^done$/m);
      assert.match(passing.out, line('*', 'closed 1000'));

      const failing = await connect([
        server.url,
        '-x',
        'send a',
        '-x',
        'expect /never seen/ 300ms',
        '-x',
        'print unreached',
      ]);
      assert.equal(failing.code, 1);
      assert.match(
        failing.err,
        /--execute "expect \/never seen\/ 300ms": expected \/never seen\/, but nothing matched within 300 ms/,
      );
      assert.doesNotMatch(failing.out, /unreached/);
    });
  });

  test('a script file runs line by line, with comments, close codes and waits', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'connect-script-'));
    try {
      const script = join(directory, 'session.txt');
      writeFileSync(
        script,
        '# greet, then leave\nexpect welcome\n\nsend bye\nwait 50\nexpect /^bye$/\nclose 4000 see you\n',
      );
      await withServer(startEchoServer, async (server) => {
        const result = await connect([server.url, '--script', script]);
        assert.equal(result.code, 0, result.err);
        assert.match(result.out, line('>', 'close 4000 "see you"'));
        await until(() => server.closes.length === 1, 5000, 'the server to see the close');
        assert.deepEqual(server.closes, [4000]);
      });
      writeFileSync(script, 'send x\nemit chat 1\n');
      const wrong = await connect(['ws://127.0.0.1:1', '--script', script]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.err, /session\.txt line 2: "emit" needs --sio/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('switchboard connect --sio', () => {
  test('emits with an ack, shows events, answers the server with ack, and leaves cleanly', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      const answers: unknown[] = [];
      harness.io.on('connection', (socket) => {
        socket.on('add', (numbers: number[], ack: (sum: number) => void) => ack(numbers.reduce((a, b) => a + b, 0)));
        socket.on('ready', () =>
          socket
            .timeout(5000)
            .emit('question', 'ready?', (error: Error | null, answer: unknown) =>
              answers.push(error?.message ?? answer),
            ),
        );
      });
      const result = await connect([
        `${harness.url}/`,
        '--sio',
        '-x',
        'emit add [1,2,3]',
        '-x',
        'expect /^ack 0 \\[6\\]$/',
        '-x',
        'emit ready',
        '-x',
        'expect /^event question \\["ready\\?"\\] \\(ack 0 requested/',
        '-x',
        'ack 0 {"yes":true}',
        '-x',
        'wait 100',
      ]);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, line('>', String.raw`emit add \[\[1,2,3\]\] \(ack 0\)`));
      assert.match(result.out, line('<', String.raw`ack 0 \[6\]`));
      assert.match(result.out, line('*', 'disconnected'));
      await until(() => answers.length === 1, 5000, 'the answer to reach the server');
      assert.deepEqual(answers, [{ yes: true }]);
    });
  });

  test('a namespace the server refuses is reported and exits 1', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      const result = await connect([`${harness.url}/missing`, '--sio', '-x', 'close']);
      assert.equal(result.code, 1);
      assert.match(result.err, /cannot connect to .*\/missing: the server refused the namespace: Invalid namespace/);
    });
  });

  test('sends -H headers, Basic credentials and the auth object; shows binary arguments', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      harness.io.of('/admin').on('connection', (socket) => {
        const { headers } = socket.handshake;
        socket.emit('seen', {
          trace: headers['x-trace'],
          authorization: headers.authorization,
          origin: headers.origin,
          auth: socket.handshake.auth,
        });
        socket.emit('bytes', Buffer.from([1, 2, 255]));
      });
      const basic = `Basic ${Buffer.from('ann:secret').toString('base64')}`;
      const result = await connect([
        `${harness.url}/admin?room=1`,
        '--sio',
        '-H',
        'X-Trace: 42',
        '--auth',
        'ann:secret',
        '-o',
        'https://example.com',
        '--sio-auth',
        '{"token":"abc"}',
        '-x',
        'expect /^event bytes/',
      ]);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, line('*', String.raw`connected to .*/admin\?room=1 \(namespace /admin, sid [\w-]+\)`));
      const seen = JSON.stringify([
        { trace: '42', authorization: basic, origin: 'https://example.com', auth: { token: 'abc' } },
      ]);
      assert.ok(result.out.includes(` < event seen ${seen}\n`), result.out);
      assert.match(result.out, line('<', String.raw`event bytes \["\[binary 3 bytes\] 01 02 ff"\]`));
    });
  });

  test('the server disconnecting the socket is shown with its reason and exits 0', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      harness.io.on('connection', (socket) => socket.on('leave', () => socket.disconnect()));
      const result = await connect([harness.url, '--sio', '-x', 'emit leave', '-x', 'wait 2s']);
      assert.equal(result.code, 0, result.err);
      assert.match(
        result.out,
        line('*', String.raw`disconnected: the server disconnected the socket \(io server disconnect\)`),
      );
    });
  });

  test('a lost connection is shown as lost and exits 1', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      const sockets: Socket[] = [];
      harness.http.on('connection', (socket: Socket) => sockets.push(socket));
      harness.io.on('connection', (socket) => socket.on('drop', () => sockets.forEach((tcp) => tcp.destroy())));
      const result = await connect([harness.url, '--sio', '-x', 'emit drop', '-x', 'wait 2s']);
      assert.equal(result.code, 1, result.out);
      assert.match(result.out, line('*', String.raw`connection lost: transport close \(1006\)`));
    });
  });

  test('answering an ack nobody asked for sends nothing and says so', async () => {
    await withServer(startRealtimeServer, async (harness) => {
      const result = await connect([harness.url, '--sio', '-x', 'ack 7 [1]']);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, line('>', String.raw`ack 7 \[\[1\]\] not sent: no event waits for ack 7`));
    });
  });
});

describe('switchboard connect errors', () => {
  test('a bad URL, a wrong flag or a flag for the other protocol exit 2 with a message', async () => {
    for (const [args, message] of [
      [['ftp://example.com'], /"ftp:\/\/example\.com" is not a WebSocket URL/],
      [['ws://127.0.0.1:1', '--bogus'], /Unknown option '--bogus'/],
      [['ws://127.0.0.1:1', '--path', '/io'], /--path is the Socket\.IO path: add --sio/],
      [['ws://127.0.0.1:1', '--sio', '-s', 'chat'], /--subprotocol is for bare WebSockets/],
      [['ws://127.0.0.1:1', '-H', 'no colon'], /-H takes "Name: value"/],
      [['ws://127.0.0.1:1', '-x', 'expect /(/'], /expect: Invalid regular expression/],
      [[], /a URL is required/],
    ] as const) {
      const result = await connect(args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.err, message, args.join(' '));
      assert.match(result.err, /Run "switchboard connect --help"/);
    }
  });

  test('a refused port exits 1 and says so, with or without --sio', async () => {
    await withServer(startEchoServer, async (server) => {
      const port = server.port;
      await server.close();
      for (const protocol of [[], ['--sio']]) {
        const result = await connect([`ws://127.0.0.1:${port}/`, ...protocol, '-x', 'close']);
        assert.equal(result.code, 1);
        assert.equal(
          result.err,
          `switchboard connect: cannot connect to ws://127.0.0.1:${port}/: connection refused (is the server running on that port?)\n`,
        );
      }
    });
  });
});

describe('connect commands', () => {
  test('emit arguments are JSON values one after the other; a bare word is a string', () => {
    assert.deepEqual(parseJsonArguments(' {"a":[1,"}"]} [2, 3] "x y" 4 true hello null '), [
      { a: [1, '}'] },
      [2, 3],
      'x y',
      4,
      true,
      'hello',
      null,
    ]);
    assert.deepEqual(parseJsonArguments('"say \\"hi\\""'), ['say "hi"']);
    assert.throws(() => parseJsonArguments('{"a":'), /unterminated JSON value/);
    assert.throws(() => parseJsonArguments('{a:1}'), /not valid JSON/);
  });

  test('steps are checked for the protocol before anything is sent', () => {
    assert.deepEqual(parseStep('send  two spaces', 'websocket', 1000), { kind: 'send', text: ' two spaces' });
    assert.deepEqual(parseStep('/close 4001 gone away', 'websocket', 1000), {
      kind: 'close',
      code: 4001,
      reason: 'gone away',
    });
    assert.deepEqual(parseStep('emit "chat message" {"text":"hi"}', 'socket.io', 1000), {
      kind: 'emit',
      event: 'chat message',
      args: [{ text: 'hi' }],
    });
    assert.deepEqual(parseStep('expect /a b/i 2s', 'websocket', 1000), {
      kind: 'expect',
      pattern: /a b/i,
      timeoutMs: 2000,
    });
    assert.deepEqual(parseStep('expect ok', 'websocket', 1000), { kind: 'expect', pattern: /ok/, timeoutMs: 1000 });
    assert.deepEqual(parseStep('wait 1.5s', 'socket.io', 1000), { kind: 'wait', ms: 1500 });
    for (const [text, mode, message] of [
      ['send x', 'socket.io', /"send" is for bare WebSockets/],
      ['ack 1', 'websocket', /"ack" needs --sio/],
      ['close 1006', 'websocket', /close takes a code a close frame may carry/],
      ['close 1000', 'socket.io', /close takes no code or reason with --sio/],
      ['expect a b', 'websocket', /write a pattern with spaces between slashes/],
      ['wait soon', 'websocket', /wait takes a time/],
      ['ack x', 'socket.io', /ack takes the id/],
      ['emit disconnect', 'socket.io', /"disconnect" is a reserved event name/],
      ['jump', 'websocket', /unknown command "jump"/],
    ] as const) {
      assert.throws(
        () => parseStep(text, mode, 1000),
        (error: unknown) => error instanceof UsageError && message.test(error.message),
        text,
      );
    }
  });
});
