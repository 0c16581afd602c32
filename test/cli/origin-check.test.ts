import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startDemoServer, type DemoServer } from '../../src/cli/demo-server.js';
import { WebSocket } from '../../src/ws/index.js';

/** Opens a WebSocket to the chat endpoint with the given Origin; resolves 'open' or the handshake error. */
function handshake(server: DemoServer, origin: string | undefined): Promise<string> {
  const socket = new WebSocket(`${server.url.replace('http:', 'ws:')}chat`, origin === undefined ? {} : { origin });
  return new Promise((resolve) => {
    socket.once('open', () => {
      socket.close(1000);
      socket.once('close', () => resolve('open'));
    });
    socket.once('error', (error: Error) => resolve(error.message));
  });
}

describe('chat endpoint origin check', () => {
  let server: DemoServer;

  before(async () => {
    server = await startDemoServer({ port: 0, host: '127.0.0.1', allowedOrigins: ['https://app.example.com'] });
  });

  after(() => server.close());

  test('accepts its own pages, listed origins, and programs that send no Origin', async () => {
    assert.equal(await handshake(server, server.url.slice(0, -1)), 'open');
    assert.equal(await handshake(server, 'https://app.example.com'), 'open');
    assert.equal(await handshake(server, undefined), 'open');
    // Behind a proxy that terminates TLS, the page is https: on the host the request names.
    assert.equal(await handshake(server, server.url.replace('http:', 'https:').slice(0, -1)), 'open');
  });

  test('refuses pages from any other origin with 403', async () => {
    const { port } = server.address;
    for (const origin of [
      'http://evil.example',
      `http://localhost:${port}`,
      `http://127.0.0.1:${port + 1}`,
      'https://app.example.com:8443',
      'null',
      'not a url',
      `ftp://127.0.0.1:${port}`,
    ]) {
      assert.match(await handshake(server, origin), /403/, origin);
    }
  });
});

/** Sends a GET (or, with `upgrade`, a WebSocket handshake) naming `host` and `origin`; resolves the status. */
function statusFor(server: DemoServer, path: string, host: string, origin?: string, upgrade = false): Promise<number> {
  const headers: Record<string, string> = { host };
  if (origin !== undefined) headers.origin = origin;
  if (upgrade)
    Object.assign(headers, {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.address.port, path, headers });
    req.once('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.once('upgrade', (response, socket) => {
      socket.destroy();
      resolve(response.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('host check against DNS rebinding', () => {
  let server: DemoServer;

  before(async () => {
    server = await startDemoServer({ port: 0, host: '127.0.0.1', allowedHosts: ['chat.example.com'] });
  });

  after(() => server.close());

  test('a page whose site name now points here is refused, on the pages and on the WebSocket', async () => {
    const { port } = server.address;
    const host = `rebound.example:${port}`;
    assert.equal(await statusFor(server, '/chat/', host), 403);
    // Same-origin as far as the browser knows, so only Host tells it apart.
    assert.equal(await statusFor(server, '/chat', host, `http://${host}`, true), 403);
    assert.equal(await statusFor(server, '/chat/', 'evil.localhost.example'), 403);
    assert.equal(await statusFor(server, '/chat/', 'bad host'), 403);
  });

  test('a request without Host (HTTP/1.0, from a program) is answered', async () => {
    const socket = connect(server.address.port, '127.0.0.1');
    socket.write('GET /chat/ HTTP/1.0\r\n\r\n');
    let reply = '';
    for await (const chunk of socket) reply += String(chunk);
    assert.match(reply, /^HTTP\/1\.1 200 /);
  });

  test('IP addresses, localhost names and listed hosts are answered', async () => {
    const { port } = server.address;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `app.localhost:${port}`,
      `[::1]:${port}`,
      `10.0.0.7:${port}`,
      `chat.example.com:${port}`,
      'Chat.Example.com',
    ]) {
      assert.equal(await statusFor(server, '/chat/', host), 200, host);
      assert.equal(await statusFor(server, '/chat', host, `http://${host}`, true), 101, host);
    }
  });
});
