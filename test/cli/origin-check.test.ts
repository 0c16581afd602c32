import assert from 'node:assert/strict';
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
    for (const origin of ['http://evil.example', `http://localhost:${port}`, `http://127.0.0.1:${port + 1}`, 'https://app.example.com:8443', 'null', 'not a url', `ftp://127.0.0.1:${port}`]) {
      assert.match(await handshake(server, origin), /403/, origin);
    }
  });
});
