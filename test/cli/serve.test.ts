import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket as WsClient } from 'ws';
import { TestChatClient } from '../helpers/chat-client.js';
import { startServe, type ServeProcess } from '../helpers/processes.js';
import { rawRequest } from '../helpers/raw-http.js';
import { until, withTimeout } from '../helpers/wait.js';

/** Bound on a clean shutdown (close handshakes, process exit): generous for a loaded machine, yet it catches a hang. */
const SHUTDOWN_BOUND_MS = 10_000;

function chatUrl(serve: ServeProcess): string {
  return `${serve.url.replace('http:', 'ws:')}chat`;
}

describe('switchboard serve (a real process)', () => {
  let serve: ServeProcess;

  before(async () => {
    serve = await startServe();
  });

  after(() => serve.kill());

  test('prints where it listens and where the chat demo is', () => {
    assert.match(serve.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(serve.stdout().includes(`chat demo  ${serve.url}chat/  (WebSocket ${chatUrl(serve)})`), serve.stdout());
  });

  test('serves the index, the chat page and their assets with the right types', async () => {
    const index = await fetch(serve.url);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await index.text(), /href="\/chat\/"/);

    const chat = await fetch(`${serve.url}chat/`);
    assert.equal(chat.status, 200);
    assert.match(await chat.text(), /<script type="module" src="chat\.js"><\/script>/);

    for (const [path, type] of [
      ['chat/chat.js', 'text/javascript; charset=utf-8'],
      ['chat/chat.css', 'text/css; charset=utf-8'],
      ['base.css', 'text/css; charset=utf-8'],
    ]) {
      const response = await fetch(`${serve.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-type'), type, path);
      await response.arrayBuffer();
    }
    const redirect = await fetch(`${serve.url}chat`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/chat/');
  });

  test('never serves the repository around the demo pages', async () => {
    for (const target of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E%2Fpackage.json',
      '/chat/..%2f..%2fpackage.json',
      '/..%5cpackage.json',
      '/chat/%00',
    ]) {
      const response = await rawRequest(serve.url, target);
      assert.equal(response.status, 400, target);
      assert.doesNotMatch(response.body.toString(), /"name": "switchboard"/, target);
    }
    for (const target of ['/package.json', '/src/cli/main.ts', '/.gitignore']) {
      assert.equal((await rawRequest(serve.url, target)).status, 404, target);
    }
    assert.equal((await rawRequest(serve.url, '/', { method: 'POST' })).status, 405);
  });

  test('speaks WebSocket at /chat to our client and to the ws package', async () => {
    const ada = await TestChatClient.join(chatUrl(serve), 'Ada');
    const other = new WsClient(chatUrl(serve));
    await withTimeout(
      new Promise((resolve, reject) => other.once('open', resolve).once('error', reject)),
      'the second client to open',
    );
    const inbox: string[] = [];
    other.on('message', (data) => inbox.push(String(data)));
    other.send(JSON.stringify({ type: 'join', nick: 'Bob' }));
    assert.equal((await ada.nextText('joined')).nick, 'Bob');
    ada.send({ type: 'message', text: 'hi from Ada' });
    assert.equal((await ada.nextText('message')).text, 'hi from Ada');
    await until(() => inbox.some((data) => data.includes('hi from Ada')), 5000, "Ada's message in the inbox");
    assert.deepEqual(
      inbox.map((data) => (JSON.parse(data) as { type: string }).type),
      ['welcome', 'message'],
    );
    other.close(1000);
    assert.equal((await ada.nextText('left')).nick, 'Bob');
    await ada.close();
  });
});

describe('switchboard serve shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} closes WebSockets with 1001 and exits 0`, async (t) => {
      const serve = await startServe();
      t.after(() => serve.kill());
      const member = await TestChatClient.join(chatUrl(serve), 'Ada');
      const lurker = await TestChatClient.open(chatUrl(serve));
      const exit = await serve.stop(signal, SHUTDOWN_BOUND_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, serve.stderr());
      assert.deepEqual(await member.closed, { code: 1001, reason: 'server shutting down' });
      assert.deepEqual(await lurker.closed, { code: 1001, reason: 'server shutting down' });
      assert.match(serve.stdout(), /Shutting down…\nStopped\.\n$/);
      assert.equal(serve.stderr(), '');
    });
  }
});

test('switchboard serve keeps serving and stops cleanly after its stdout reader goes away', async (t) => {
  const serve = await startServe();
  t.after(() => serve.kill());
  // As with `switchboard serve | head -1`: the pipe closes, later writes hit EPIPE.
  serve.child.stdout!.destroy();
  assert.equal((await fetch(serve.url)).status, 200);
  assert.deepEqual(await serve.stop('SIGTERM', SHUTDOWN_BOUND_MS), { code: 0, signal: null }, serve.stderr());
});

test('switchboard serve --static serves a directory ahead of the demo pages', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'switchboard-serve-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  writeFileSync(join(directory, 'index.html'), '<h1>my app</h1>');
  writeFileSync(join(directory, 'data.json'), '{"ok":true}');
  const serve = await startServe(['--static', directory]);
  t.after(() => serve.kill());
  assert.match(serve.stdout(), new RegExp(`serving +${directory.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(await (await fetch(serve.url)).text(), '<h1>my app</h1>');
  const data = await fetch(`${serve.url}data.json`);
  assert.equal(data.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(data.headers.get('content-security-policy'), null);
  assert.deepEqual(await data.json(), { ok: true });
  assert.equal((await fetch(`${serve.url}chat/`)).status, 200);
  assert.deepEqual(await serve.stop('SIGTERM', SHUTDOWN_BOUND_MS), { code: 0, signal: null });
});
