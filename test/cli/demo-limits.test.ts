/**
 * What one client can cost the demo server: connections that never join the chat, many
 * connections from one address, and HTTP requests whose head never ends. Each attack runs at a
 * small scale on loopback, and each test asserts the bound: a close code, a status, a count.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JOIN_TIMEOUT_REASON } from '../../src/cli/chat/chat-room.js';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../src/cli/demo-server.js';
import { HTTP_SERVER_LIMITS } from '../../src/engine/index.js';
import { WebSocket } from '../../src/ws/index.js';
import { TestChatClient } from '../helpers/chat-client.js';
import { rawRequest, refusedUpgrade, type RawResponse } from '../helpers/raw-http.js';
import { RawClient } from '../helpers/ws-peers.js';
import { until } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

/** Runs `body` against a demo server on a free loopback port, then closes everything it opened. */
function withDemoServer(
  options: DemoServerOptions,
  body: (server: DemoServer, chatUrl: string, opened: TestChatClient[]) => Promise<void>,
): Promise<void> {
  return withServer(
    () => startDemoServer({ port: 0, host: '127.0.0.1', ...options }),
    async (server) => {
      const opened: TestChatClient[] = [];
      try {
        await body(server, `${server.url.replace('http:', 'ws:')}chat`, opened);
      } finally {
        for (const client of opened) client.socket.terminate();
      }
    },
  );
}

/** A chat client as a reverse proxy would hand it on: the last `X-Forwarded-For` entry is the proxy's word. */
function viaProxy(forwardedFor: string): Record<string, string> {
  return { 'X-Forwarded-For': forwardedFor };
}

/** Sends an opening handshake for /chat that the server is expected to refuse, and resolves with the refusal. */
function refusedChatUpgrade(server: DemoServer, headers?: Record<string, string>): Promise<RawResponse> {
  return refusedUpgrade(server.url, '/chat', headers);
}

describe('demo chat: connections that never join', () => {
  test('do not fill the room: real users join while they are held open', () =>
    withDemoServer({ chat: { maxMembers: 2 } }, async (_server, url, opened) => {
      // Four times the room's size, answering pings as any client library does, and never joining.
      for (let index = 0; index < 8; index++) opened.push(await TestChatClient.open(url));
      const ada = await TestChatClient.join(url, 'Ada');
      const bob = await TestChatClient.join(url, 'Bob');
      assert.deepEqual((await ada.nextText('joined')).users, ['Ada', 'Bob']);
      assert.ok(opened.every((idle) => idle.socket.readyState === WebSocket.OPEN));
      // "Full" means full of members.
      const carol = await TestChatClient.open(url);
      carol.send({ type: 'join', nick: 'Carol' });
      assert.deepEqual(await carol.closed, { code: 1013, reason: 'chat is full' });
      await Promise.all([ada.close(), bob.close()]);
    }));

  test('are closed with 1008 at the join deadline, which members are past, and their address gets its place back', () =>
    withDemoServer({ chat: { joinTimeout: 100 }, maxConnectionsPerAddress: 2 }, async (server, url) => {
      const ada = await TestChatClient.join(url, 'Ada');
      const idle = await TestChatClient.open(url);
      assert.equal(server.connectionsFrom('127.0.0.1'), 2);
      // Ada's deadline started before the idle one's, so it has passed too.
      assert.deepEqual(await idle.closed, { code: 1008, reason: JOIN_TIMEOUT_REASON });
      ada.send({ type: 'message', text: 'still here' });
      assert.equal((await ada.nextText('message')).text, 'still here');
      await until(() => server.connectionsFrom('127.0.0.1') === 1, 5000, 'the closed connection to be released');
      const bob = await TestChatClient.join(url, 'Bob');
      await Promise.all([ada.close(), bob.close()]);
    }));

  test('a refused nickname does not restart the clock', () =>
    withDemoServer({ chat: { joinTimeout: 100 } }, async (_server, url) => {
      const ada = await TestChatClient.join(url, 'Ada');
      const stalling = await TestChatClient.open(url);
      stalling.send({ type: 'join', nick: 'ADA' });
      await stalling.nextText('rejected');
      assert.deepEqual(await stalling.closed, { code: 1008, reason: JOIN_TIMEOUT_REASON });
      await ada.close();
    }));
});

describe('demo chat: connections per client address', () => {
  test('past the cap an address gets 429 while another still gets in, and a closed connection frees its place', () =>
    withDemoServer({ maxConnectionsPerAddress: 2, trustProxy: true }, async (server, url, opened) => {
      for (let index = 0; index < 2; index++) opened.push(await TestChatClient.open(url, viaProxy('203.0.113.7')));
      assert.equal(server.connectionsFrom('203.0.113.7'), 2);

      const refused = await refusedChatUpgrade(server, viaProxy('203.0.113.7'));
      assert.equal(refused.status, 429);
      assert.match(refused.body.toString(), /^Too many connections from your address \(at most 2\)/);
      // What the client writes before the proxy's entry changes nothing.
      assert.equal((await refusedChatUpgrade(server, viaProxy('203.0.113.8, 203.0.113.7'))).status, 429);
      assert.equal(server.connectionsFrom('203.0.113.7'), 2);

      const other = await TestChatClient.join(url, 'Other');
      const neighbour = await TestChatClient.open(url, viaProxy('203.0.113.8'));
      assert.equal(server.connectionsFrom('203.0.113.8'), 1);
      assert.equal(server.connectionsFrom('127.0.0.1'), 1);

      await opened.pop()!.close();
      await until(() => server.connectionsFrom('203.0.113.7') === 1, 5000, 'the closed connection to be released');
      const again = await TestChatClient.join(url, 'Again');
      await Promise.all([other.close(), neighbour.close(), again.close(), opened.pop()!.close()]);
      await until(
        () =>
          server.connectionsFrom('203.0.113.7') +
            server.connectionsFrom('203.0.113.8') +
            server.connectionsFrom('127.0.0.1') ===
          0,
        5000,
        'every place to be released',
      );
    }));

  test('IPv6 clients are counted by their /64: another address of the same /64 is refused, another /64 gets in', () =>
    withDemoServer({ maxConnectionsPerAddress: 1, trustProxy: true }, async (server, url, opened) => {
      opened.push(await TestChatClient.open(url, viaProxy('2001:db8:1:2::1')));
      assert.equal((await refusedChatUpgrade(server, viaProxy('2001:db8:1:2::ffff'))).status, 429);
      assert.equal(server.connectionsFrom('2001:db8:1:2:aaaa::9'), 1);
      opened.push(await TestChatClient.open(url, viaProxy('2001:db8:1:3::1')));
      assert.equal(server.connectionsFrom('2001:db8:1:3::1'), 1);
    }));

  test('without trustProxy, X-Forwarded-For is ignored: every loopback client is 127.0.0.1', () =>
    withDemoServer({ maxConnectionsPerAddress: 1 }, async (server, url, opened) => {
      opened.push(await TestChatClient.open(url, viaProxy('203.0.113.7')));
      assert.equal((await refusedChatUpgrade(server, viaProxy('203.0.113.8'))).status, 429);
      assert.equal(server.connectionsFrom('127.0.0.1'), 1);
      assert.equal(server.connectionsFrom('203.0.113.7'), 0);
    }));

  test('refused and other-path upgrades hold no place', () =>
    withDemoServer({ maxConnectionsPerAddress: 1 }, async (server, url) => {
      assert.equal((await refusedChatUpgrade(server, { Origin: 'https://elsewhere.example' })).status, 403);
      assert.equal((await refusedUpgrade(server.url, '/elsewhere')).status, 404);
      await until(() => server.connectionsFrom('127.0.0.1') === 0, 5000, 'the refused handshake to be released');
      const ada = await TestChatClient.join(url, 'Ada');
      await ada.close();
    }));
});

describe('demo realtime sessions: the same per-address cap', () => {
  /** Opens an Engine.IO long-polling session as `address` (through the trusted proxy's header). */
  async function handshake(server: DemoServer, address: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${server.url}socket.io/?EIO=4&transport=polling`, { headers: viaProxy(address) });
    return { status: response.status, body: await response.text() };
  }
  const sidOf = (body: string): string => (JSON.parse(body.slice(1)) as { sid: string }).sid;

  test('an address past the cap is refused with the message, another gets in, a closed session frees its place', () =>
    withDemoServer({ maxConnectionsPerAddress: 2, trustProxy: true }, async (server, url, opened) => {
      // A chat WebSocket and a realtime session share the address's places.
      opened.push(await TestChatClient.open(url, viaProxy('203.0.113.7')));
      const first = await handshake(server, '203.0.113.7');
      assert.equal(first.status, 200);
      assert.equal(server.connectionsFrom('203.0.113.7'), 2);

      const refused = await handshake(server, '203.0.113.7');
      assert.equal(refused.status, 403);
      assert.match(refused.body, /Too many connections from your address \(at most 2\)/);
      assert.equal((await handshake(server, '203.0.113.8')).status, 200);

      // The client closes its session (Engine.IO "1" close packet): its place is free again.
      const sid = sidOf(first.body);
      await fetch(`${server.url}socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST',
        headers: { ...viaProxy('203.0.113.7'), 'Content-Type': 'text/plain' },
        body: '1',
      });
      await until(() => server.connectionsFrom('203.0.113.7') === 1, 5000, 'the closed session to be released');
      assert.equal((await handshake(server, '203.0.113.7')).status, 200);
    }));

  test('a session opened over WebSocket holds its place until it closes', () =>
    withDemoServer({ maxConnectionsPerAddress: 1, trustProxy: true }, async (server) => {
      const url = `${server.url.replace('http:', 'ws:')}socket.io/?EIO=4&transport=websocket`;
      const socket = new WebSocket(url, { headers: viaProxy('203.0.113.10') });
      try {
        await until(() => server.io.engine.clientsCount === 1, 5000, 'the session to open');
        assert.equal(server.connectionsFrom('203.0.113.10'), 1);
        assert.equal((await handshake(server, '203.0.113.10')).status, 403);
      } finally {
        socket.close();
      }
      await until(() => server.connectionsFrom('203.0.113.10') === 0, 5000, 'the closed session to be released');
    }));

  test('a WebSocket handshake that fails after the check gives its place back', () =>
    withDemoServer({ maxConnectionsPerAddress: 1, trustProxy: true }, async (server) => {
      for (const headers of [{ 'Sec-WebSocket-Version': '99' }, { 'Sec-WebSocket-Key': 'not a key' }]) {
        const refused = await refusedUpgrade(server.url, '/socket.io/?EIO=4&transport=websocket', {
          ...viaProxy('203.0.113.11'),
          ...headers,
        });
        assert.ok(refused.status === 400 || refused.status === 426, String(refused.status));
        await until(() => server.connectionsFrom('203.0.113.11') === 0, 5000, 'the failed handshake to be released');
      }
      assert.equal((await handshake(server, '203.0.113.11')).status, 200);
    }));

  test('handshakes that arrive together are held to the cap', () =>
    withDemoServer({ maxConnectionsPerAddress: 2, trustProxy: true }, async (server) => {
      const results = await Promise.all(Array.from({ length: 6 }, () => handshake(server, '203.0.113.9')));
      assert.ok(results.filter((result) => result.status === 200).length >= 2);
      // Those let in past the cap are closed at once: two sessions are left, and the count agrees.
      await until(() => server.io.engine.clientsCount === 2, 5000, 'the sessions past the cap to be closed');
      assert.equal(server.connectionsFrom('203.0.113.9'), 2);
    }));
});

describe('demo HTTP server limits', () => {
  test('the HTTP server is created with the limits, by default 10 s for a head and 30 s for a request', async () => {
    assert.deepEqual(HTTP_SERVER_LIMITS, {
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 16_384,
    });
    // maxHeaderSize is no public property of the server; the 431 test below shows it in force.
    const timeoutsOf = ({ headersTimeout, requestTimeout, keepAliveTimeout }: DemoServer['httpServer']) => ({
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
    });
    await withDemoServer({}, async ({ httpServer }) => {
      assert.deepEqual(timeoutsOf(httpServer), {
        headersTimeout: 10_000,
        requestTimeout: 30_000,
        keepAliveTimeout: 5_000,
      });
    });
    const custom = { headersTimeout: 2000, requestTimeout: 4000, keepAliveTimeout: 1000 };
    await withDemoServer(custom, async ({ httpServer }) => {
      assert.deepEqual(timeoutsOf(httpServer), custom);
    });
  });

  test('a client that never finishes its request head gets 408 and is disconnected', () =>
    withDemoServer({ headersTimeout: 100 }, async (server) => {
      const partialHeads = [
        '',
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n',
        'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n',
      ];
      for (const partial of partialHeads) {
        const client = await RawClient.connect(server.address.port, partial);
        try {
          assert.equal(client.status, 408, JSON.stringify(partial));
          await client.waitForEnd();
        } finally {
          client.destroy();
        }
      }
    }));

  test('a request head larger than maxHeaderSize gets 431', () =>
    withDemoServer({ maxHeaderSize: 1024 }, async (server) => {
      assert.equal((await rawRequest(server.url, '/', { headers: { 'X-Padding': 'x'.repeat(2048) } })).status, 431);
      assert.equal((await refusedChatUpgrade(server, { 'X-Padding': 'x'.repeat(2048) })).status, 431);
      assert.equal((await rawRequest(server.url, '/')).status, 200);
    }));

  test('options that make no sense are refused, naming the option', async () => {
    for (const [options, message] of [
      [{ headersTimeout: 0 }, /headersTimeout/],
      [{ requestTimeout: 1.5 }, /requestTimeout/],
      [{ keepAliveTimeout: 2 ** 31 }, /keepAliveTimeout/],
      [{ maxHeaderSize: -1 }, /maxHeaderSize/],
      [{ headersTimeout: 40_000 }, /headersTimeout \(40000\) must not exceed requestTimeout \(30000\)/],
    ] as const) {
      await assert.rejects(startDemoServer({ port: 0, host: '127.0.0.1', ...options }), { name: 'TypeError', message });
    }
    await assert.rejects(startDemoServer({ port: 0, maxConnectionsPerAddress: 0 }), {
      name: 'TypeError',
      message: /maxConnectionsPerAddress/,
    });
    await assert.rejects(startDemoServer({ port: 0, trustProxy: 'yes' as unknown as boolean }), {
      name: 'TypeError',
      message: /trustProxy/,
    });
  });
});
