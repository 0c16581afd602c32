import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { runCli } from '../../src/cli/cli.js';
import { ExitCode, UsageError, type Command } from '../../src/cli/command.js';
import { parseCount, parseHostName, parseOrigin, parsePort } from '../../src/cli/commands/serve.js';
import { baseUrl } from '../../src/cli/demo-server.js';
import { TestChatClient } from '../helpers/chat-client.js';
import { refusedUpgrade } from '../helpers/raw-http.js';
import { sleep } from '../helpers/wait.js';
import { runInProcess, type CliResult } from './run-in-process.js';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Runs the command line in-process with captured output, with `commands` in place of the real ones. */
const run = (args: readonly string[], commands?: readonly Command[]): Promise<CliResult> =>
  runInProcess(args, { commands });

/** Runs `serve` in-process on a free loopback port; resolves once it prints its URL, with a `stop` that aborts it and resolves with its exit code. */
async function serveInProcess(
  args: string[],
): Promise<{ url: string; output: () => string; stop: () => Promise<number> }> {
  const controller = new AbortController();
  let out = '';
  const running = runCli(['serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: () => undefined },
    signal: controller.signal,
  });
  const stop = (): Promise<number> => {
    controller.abort();
    return running;
  };
  const deadline = Date.now() + 5000;
  while (!/listening on (\S+)/.test(out) && Date.now() < deadline) await sleep(10);
  const url = /listening on (\S+)/.exec(out)?.[1];
  if (url === undefined) {
    await stop();
    assert.fail(`serve did not print its URL: ${out}`);
  }
  return { url, output: () => out, stop };
}

describe('switchboard command line', () => {
  test('--help lists every command; no arguments prints the same to stderr and exits 2', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, ExitCode.Ok);
    assert.match(help.out, /Usage: switchboard <command>/);
    assert.match(help.out, /^ {2}serve +Serve the demo apps/m);
    assert.match(help.out, /^ {2}version +Print the Switchboard/m);
    const bare = await run([]);
    assert.equal(bare.code, ExitCode.Usage);
    assert.equal(bare.err, help.out);
  });

  test('each command answers --help, -h and "help <command>"', async () => {
    for (const args of [
      ['serve', '--help'],
      ['serve', '--port', '1', '-h'],
      ['help', 'serve'],
    ]) {
      const result = await run(args);
      assert.equal(result.code, ExitCode.Ok, args.join(' '));
      assert.match(result.out, /^Usage: switchboard serve \[options\]/);
      assert.match(result.out, /--port <port>/);
    }
    assert.match((await run(['version', '--help'])).out, /^Usage: switchboard version/);
    assert.equal((await run(['help', 'nope'])).code, ExitCode.Usage);
  });

  test('version and --version print the package version', async () => {
    const version = await run(['version']);
    assert.equal(version.code, ExitCode.Ok);
    assert.equal(version.out, `switchboard ${manifest.version}\nnode ${process.version}\n`);
    assert.equal((await run(['--version'])).out, `${manifest.version}\n`);
    assert.equal((await run(['-v'])).out, `${manifest.version}\n`);
  });

  test('unknown commands and bad options exit 2 with a pointer to --help', async () => {
    const unknown = await run(['serv']);
    assert.equal(unknown.code, ExitCode.Usage);
    assert.match(unknown.err, /unknown command "serv"/);
    for (const [args, message] of [
      [['serve', '--bogus'], /Unknown option '--bogus'/],
      [['serve', 'extra'], /positional/],
      [['serve', '--port'], /argument missing/],
      [['serve', '--port', 'http'], /--port must be a whole number/],
      [['serve', '--host', ' '], /--host must not be empty/],
      [['serve', '--static', '/definitely/not/here'], /--static must name a directory/],
      [['serve', '--static', 'package.json'], /--static must name a directory/],
      [['serve', '--allow-origin', 'example.com'], /--allow-origin must be an origin/],
      [['serve', '--connections-per-address', '0'], /--connections-per-address must be a whole number from 1/],
      [['serve', '--trust-proxy=yes'], /does not take an argument/],
      [['version', 'now'], /takes no arguments/],
    ] as const) {
      const result = await run([...args]);
      assert.equal(result.code, ExitCode.Usage, args.join(' '));
      assert.match(result.err, message, args.join(' '));
      assert.match(result.err, new RegExp(`Run "switchboard ${args[0]} --help"`));
      assert.equal(result.out, '');
    }
  });

  test('a command is one object in the list: dispatched, listed, given help, its usage errors reported', async () => {
    const echo: Command = {
      name: 'echo',
      summary: 'Print the arguments',
      help: 'Usage: switchboard echo <words>\n',
      async run(args, { stdout }) {
        if (args.length === 0) throw new UsageError('echo needs words');
        stdout.write(`${args.join(' ')}\n`);
        return ExitCode.Ok;
      },
    };
    assert.equal((await run(['echo', 'a', 'b'])).code, ExitCode.Usage, 'not a built-in command');
    assert.deepEqual(await run(['echo'], [echo]), {
      code: ExitCode.Usage,
      out: '',
      err: 'switchboard echo: echo needs words\nRun "switchboard echo --help" for usage.\n',
    });
    assert.equal((await run(['echo', 'a', 'b'], [echo])).out, 'a b\n');
    assert.equal((await run(['echo', '--help'], [echo])).out, echo.help);
    assert.match((await run(['--help'], [echo])).out, /^ {2}echo {2}Print the arguments$/m);
    // Anything but a usage error is the command failing, for the caller to report.
    const broken: Command = { ...echo, run: () => Promise.reject(new Error('disk on fire')) };
    await assert.rejects(run(['echo', 'x'], [broken]), /disk on fire/);
  });

  test('parseOrigin takes a bare http(s) origin and nothing else', () => {
    assert.equal(parseOrigin('https://App.Example.com'), 'https://app.example.com');
    assert.equal(parseOrigin('http://localhost:3000/'), 'http://localhost:3000');
    assert.equal(parseOrigin('https://example.com:443'), 'https://example.com');
    for (const bad of [
      'example.com',
      'https://example.com/app',
      'https://example.com/?',
      'https://user@example.com',
      'ws://example.com',
      'null',
      '',
    ]) {
      assert.throws(() => parseOrigin(bad), /--allow-origin must be an origin/, bad);
    }
  });

  test('parseHostName takes a bare host name and nothing else', () => {
    assert.equal(parseHostName('Chat.Example.com'), 'chat.example.com');
    assert.equal(parseHostName('devbox'), 'devbox');
    for (const bad of [
      'chat.example.com:8080',
      'http://chat.example.com',
      'chat.example.com/app',
      'user@chat.example.com',
      'bad host',
      '',
    ]) {
      assert.throws(() => parseHostName(bad), /--allow-host must be a host name/, bad);
    }
  });

  test('the printed URL brackets IPv6 and shows a wildcard address as localhost', () => {
    assert.equal(baseUrl({ address: '127.0.0.1', family: 'IPv4', port: 80 }), 'http://127.0.0.1:80/');
    assert.equal(baseUrl({ address: '::1', family: 'IPv6', port: 8080 }), 'http://[::1]:8080/');
    assert.equal(baseUrl({ address: '0.0.0.0', family: 'IPv4', port: 1 }), 'http://localhost:1/');
    assert.equal(baseUrl({ address: '::', family: 'IPv6', port: 1 }), 'http://localhost:1/');
  });

  test('parsePort takes 0 to 65535 and nothing else', () => {
    assert.equal(parsePort('0'), 0);
    assert.equal(parsePort('8080'), 8080);
    assert.equal(parsePort('65535'), 65535);
    for (const bad of ['65536', '-1', '1.5', '0x50', '', ' 80', '80a', '999999'])
      assert.throws(() => parsePort(bad), /--port/, bad);
  });

  test('parseCount takes a whole number from 1 and nothing else', () => {
    assert.equal(parseCount('--n', '1'), 1);
    assert.equal(parseCount('--n', '64'), 64);
    for (const bad of ['0', '-1', '1.5', '', ' 4', '4x', '1e3', '9999999999'])
      assert.throws(() => parseCount('--n', bad), /--n must be a whole number from 1/, bad);
  });

  test('serve runs until its signal aborts, then stops cleanly', async () => {
    const serve = await serveInProcess([]);
    assert.equal((await fetch(serve.url)).status, 200);
    assert.equal(await serve.stop(), ExitCode.Ok);
    assert.match(serve.output(), /Shutting down…\nStopped\.\n$/);
    await assert.rejects(fetch(serve.url), /fetch failed/);
  });

  test('serve --connections-per-address caps each address, by X-Forwarded-For with --trust-proxy', async () => {
    const serve = await serveInProcess(['--connections-per-address', '1', '--trust-proxy']);
    const chatUrl = `${serve.url.replace('http:', 'ws:')}chat`;
    try {
      const first = await TestChatClient.open(chatUrl, { 'X-Forwarded-For': '203.0.113.7' });
      assert.equal((await refusedUpgrade(serve.url, '/chat', { 'X-Forwarded-For': '203.0.113.7' })).status, 429);
      const other = await TestChatClient.open(chatUrl, { 'X-Forwarded-For': '203.0.113.8' });
      await Promise.all([first.close(), other.close()]);
    } finally {
      assert.equal(await serve.stop(), ExitCode.Ok);
    }
  });

  test('a port in use is reported and exits 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as AddressInfo;
      const result = await run(['serve', '--port', String(port), '--host', '127.0.0.1']);
      assert.equal(result.code, ExitCode.Failure);
      assert.equal(result.err, `switchboard serve: cannot listen on 127.0.0.1 port ${port}: the port is in use\n`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
