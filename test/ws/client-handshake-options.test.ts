/**
 * The client's opening handshake as `ws` code uses it: `'unexpected-response'`, `'upgrade'` and
 * `'redirect'` events, `followRedirects`, `ws+unix:` URLs, `agent`, `createConnection`,
 * `finishRequest`, and options refused by name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from '../../src/ws/index.js';
import { startServer } from '../helpers/ws-peers.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

/**
 * An HTTP server whose upgrade requests `refuse` may answer with another status (writing the raw
 * response, as a proxy or an authentication layer would); the rest go to a WebSocketServer.
 */
async function httpServer(
  refuse: (path: string) => string | undefined,
): Promise<{ url: string; port: number; wss: WebSocketServer; close(): Promise<void> }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const answer = refuse(request.url!);
    if (answer === undefined) wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    else socket.end(answer);
  });
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    wss,
    close: async () => {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits for the client's close code, ignoring the 'error' before it (events.once would reject on it). */
function closeOf(client: WebSocket): Promise<number> {
  return waitFor<[number]>(client, 'close').then(([code]) => code);
}

/** The client's next 'error'. */
function errorOf(client: WebSocket): Promise<Error & { status?: number }> {
  return waitFor<[Error & { status?: number }]>(client, 'error').then(([error]) => error);
}

describe("'unexpected-response', 'upgrade' and 'redirect' (as ws)", () => {
  it('hands a non-101 answer to an unexpected-response listener: status, headers and body readable', async () => {
    const server = await httpServer(
      () => 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 13\r\n\r\ntoken expired',
    );
    try {
      const client = new WebSocket(server.url);
      const [request, response] = await waitFor<[http.ClientRequest, http.IncomingMessage]>(
        client,
        'unexpected-response',
      );
      assert.ok(request instanceof http.ClientRequest);
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
      let body = '';
      for await (const chunk of response) body += String(chunk);
      assert.equal(body, 'token expired');
      assert.equal(client.readyState, WebSocket.CONNECTING);
      const closed = closeOf(client);
      client.close();
      assert.equal(await closed, 1006);
    } finally {
      await server.close();
    }
  });

  it("without a listener fails with ws's message and the status", async () => {
    const server = await httpServer(() => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    try {
      const client = new WebSocket(server.url);
      const error = errorOf(client);
      const closed = closeOf(client);
      assert.equal((await error).message, 'Unexpected server response: 403');
      assert.equal((await error).status, 403);
      assert.equal(await closed, 1006);
    } finally {
      await server.close();
    }
  });

  it("emits 'upgrade' with the 101 response before 'open'; closing from it aborts the connection", async () => {
    const server = await startServer();
    try {
      const order: string[] = [];
      const client = new WebSocket(server.url);
      client.on('upgrade', (response) => order.push(`upgrade ${response.statusCode}`));
      client.on('open', () => order.push('open'));
      await waitFor(client, 'open');
      assert.deepEqual(order, ['upgrade 101', 'open']);
      client.close();
      const aborted = new WebSocket(server.url);
      aborted.on('upgrade', () => aborted.close());
      aborted.on('error', () => undefined);
      aborted.on('open', () => assert.fail('opened after close() in the upgrade listener'));
      assert.equal(await closeOf(aborted), 1006);
    } finally {
      await server.close();
    }
  });

  it('follows redirects when asked, with a redirect event each, and stops past maxRedirects', async () => {
    const server = await httpServer((path) => {
      if (!path.startsWith('/hop/')) return undefined;
      const hops = Number(path.slice('/hop/'.length));
      return `HTTP/1.1 302 Found\r\nLocation: ${hops > 1 ? `/hop/${hops - 1}` : '/final'}\r\nContent-Length: 0\r\n\r\n`;
    });
    try {
      const seen: string[] = [];
      const client = new WebSocket(`${server.url}/hop/2`, { followRedirects: true });
      client.on('redirect', (url, request) => {
        assert.ok(request instanceof http.ClientRequest);
        seen.push(url);
      });
      const path = withTimeout(
        new Promise<string>((resolve) => server.wss.once('connection', (_socket, request) => resolve(request.url!))),
        'the redirected connection',
      );
      await waitFor(client, 'open');
      assert.equal(await path, '/final');
      assert.deepEqual(seen, [`${server.url}/hop/1`, `${server.url}/final`]);
      assert.equal(client.url, `${server.url}/final`);
      client.close();

      const limited = new WebSocket(`${server.url}/hop/3`, { followRedirects: true, maxRedirects: 2 });
      const error = errorOf(limited);
      assert.equal((await error).message, 'Maximum redirects exceeded');
      // Without followRedirects a 3xx is an unexpected response.
      const plain = new WebSocket(`${server.url}/hop/1`);
      const plainError = errorOf(plain);
      assert.equal((await plainError).message, 'Unexpected server response: 302');
    } finally {
      await server.close();
    }
  });

  it('drops Authorization and Cookie on a redirect to another host, as ws does', async () => {
    const target = await httpServer(() => undefined);
    const headers = withTimeout(
      new Promise<http.IncomingHttpHeaders>((resolve) =>
        target.wss.once('connection', (_socket, request) => resolve(request.headers)),
      ),
      'the connection to the other host',
    );
    // 127.0.0.1 and localhost are different hosts to the client.
    const origin = await httpServer(
      () => `HTTP/1.1 307 Temporary Redirect\r\nLocation: ws://localhost:${target.port}/\r\nContent-Length: 0\r\n\r\n`,
    );
    try {
      const client = new WebSocket(origin.url, {
        followRedirects: true,
        headers: { Authorization: 'Bearer secret', Cookie: 'sid=1', 'X-Kept': 'yes' },
      });
      await waitFor(client, 'open');
      const received = await headers;
      assert.equal(received.authorization, undefined);
      assert.equal(received.cookie, undefined);
      assert.equal(received['x-kept'], 'yes');
      client.close();
    } finally {
      await origin.close();
      await target.close();
    }
  });
});

describe('client connection options (as ws)', () => {
  it('connects over a Unix domain socket with a ws+unix: URL', async (t) => {
    if (process.platform === 'win32') return t.skip('no Unix domain sockets on Windows');
    const dir = mkdtempSync(join(tmpdir(), 'sb-unix-'));
    const socketPath = join(dir, 'ws.sock');
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    server.listen(socketPath);
    await waitFor(server, 'listening');
    try {
      const path = withTimeout(
        new Promise<string>((resolve) => wss.once('connection', (_socket, request) => resolve(request.url!))),
        'the connection over the unix socket',
      );
      const client = new WebSocket(`ws+unix:${socketPath}:/chat?room=1`);
      await waitFor(client, 'open');
      assert.equal(await path, '/chat?room=1');
      client.close();
      await waitFor(client, 'close');
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the agent, createConnection and finishRequest it is given', async () => {
    const server = await startServer();
    try {
      const agent = new http.Agent();
      const created: string[] = [];
      const originalCreate = agent.createConnection.bind(agent);
      agent.createConnection = (options, callback) => {
        created.push('agent');
        return originalCreate(options, callback);
      };
      const viaAgent = new WebSocket(server.url, { agent });
      await waitFor(viaAgent, 'open');
      viaAgent.close();

      const ports: unknown[] = [];
      const viaCreate = new WebSocket(server.url, {
        createConnection: (options) => {
          created.push('createConnection');
          ports.push(options.port);
          return net.connect(Number(options.port), options.host as string);
        },
      });
      await waitFor(viaCreate, 'open');
      viaCreate.close();

      const header = withTimeout(
        new Promise<string | undefined>((resolve) =>
          server.wss.once('connection', (_socket, request) => resolve(request.headers['x-finished'] as string)),
        ),
        'the connection with the header',
      );
      const finished = new WebSocket(server.url, {
        finishRequest: (request, socket) => {
          // Called from inside the constructor, as ws does.
          assert.ok(socket instanceof WebSocket);
          request.setHeader('X-Finished', 'by the app');
          request.end();
        },
      });
      await waitFor(finished, 'open');
      assert.equal(await header, 'by the app');
      finished.close();
      assert.deepEqual(created, ['agent', 'createConnection']);
      // The URL's port as written, as ws gives it.
      assert.deepEqual(ports, [String(server.port)]);
      agent.destroy();
    } finally {
      await server.close();
    }
  });

  it('refuses unsupported and unknown options by name, and protocol versions other than 13 and 8', () => {
    const url = 'ws://127.0.0.1:1/';
    assert.throws(() => new WebSocket(url, { generateMask: () => undefined } as never), {
      name: 'TypeError',
      message: /option "generateMask" is not supported: masking keys/,
    });
    assert.throws(() => new WebSocket(url, { timeout: 5 } as never), {
      name: 'TypeError',
      message: /"timeout" is not supported: use handshakeTimeout/,
    });
    assert.throws(() => new WebSocket(url, { socketPath: '/tmp/x' } as never), {
      name: 'TypeError',
      message: /use a ws\+unix: URL/,
    });
    assert.throws(() => new WebSocket(url, { handshakeTimout: 5 } as never), {
      name: 'TypeError',
      message: /unknown WebSocket option "handshakeTimout"/,
    });
    assert.throws(() => new WebSocket(url, { protocolVersion: 1000 }), {
      name: 'RangeError',
      message: 'Unsupported protocol version: 1000 (supported versions: 8, 13)',
    });
    assert.throws(() => new WebSocket('ftp://example.com/'), {
      name: 'SyntaxError',
      message: 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"',
    });
    assert.throws(() => new WebSocket('not a url'), { name: 'SyntaxError', message: 'Invalid URL: not a url' });
    assert.throws(() => new WebSocket(url, ['a', 'a']), {
      name: 'SyntaxError',
      message: 'An invalid or duplicated subprotocol was specified',
    });
  });

  it('speaks protocol version 8 as ws does, sending origin as Sec-WebSocket-Origin', async () => {
    const server = await startServer();
    const client = new WebSocket(server.url, { protocolVersion: 8, origin: 'https://draft.example' });
    try {
      const [, request] = await waitFor<[WebSocket, http.IncomingMessage]>(server.wss, 'connection');
      assert.equal(request.headers['sec-websocket-version'], '8');
      assert.equal(request.headers['sec-websocket-origin'], 'https://draft.example');
      assert.equal(request.headers.origin, undefined);
      await waitFor(client, 'open');
    } finally {
      client.terminate();
      await server.close();
    }
  });

  it('takes subprotocols from options.protocols when the argument is left out', async () => {
    const server = await startServer({ handleProtocols: (offered) => [...offered][1] ?? false });
    try {
      const client = new WebSocket(server.url, { protocols: ['one', 'two'] });
      await waitFor(client, 'open');
      assert.equal(client.protocol, 'two');
      client.close();
    } finally {
      await server.close();
    }
  });
});
