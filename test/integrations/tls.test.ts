import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { selfSigned, skipWithoutOpenssl, type Certificate } from '../helpers/certificates.js';
import { Clients, startExample, stopGracefully } from './run-example.js';

// The TLS examples: an https.Server carrying Socket.IO and wss://, clients trusting its
// self-signed certificate through `ca`; and mutual TLS, where the client certificate's name is
// checked by a Socket.IO middleware and by the WebSocket server's authenticate hook.

/** GET `url` over HTTPS trusting `ca`; resolves with the status. */
function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { ca, agent: false, timeout: 5000 }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on('timeout', () => request.destroy(new Error(`no response from ${url} in time`)));
    request.on('error', reject);
  });
}

describe('TLS examples', { skip: skipWithoutOpenssl }, () => {
  let dir: string;
  let server: Certificate;
  let ada: Certificate;
  let mallory: Certificate;
  let clientCa: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-integrations-'));
    server = selfSigned(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    // Both client certificates pass the TLS handshake; only ada is on the example's list.
    ada = selfSigned(dir, 'ada', 'DNS:ada.example');
    mallory = selfSigned(dir, 'mallory', 'DNS:mallory.example');
    clientCa = join(dir, 'clients.pem');
    writeFileSync(clientCa, Buffer.concat([ada.cert, mallory.cert]));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('tls.mjs: HTTPS route, Socket.IO and wss:// on one port for clients trusting the certificate; others refuse it', async () => {
    const example = await startExample('tls.mjs', { TLS_KEY: server.keyPath, TLS_CERT: server.certPath });
    const clients = new Clients();
    try {
      const origin = `https://127.0.0.1:${example.port}`;
      assert.equal(await httpsStatus(`${origin}/health`, server.cert), 200);
      // PEM text, the form socket.io-client's types take (a Buffer works too at run time).
      const ca = server.cert.toString();
      const socket = await clients.socketIo(origin, { ca });
      const ws = await clients.echoWebSocket(`wss://127.0.0.1:${example.port}/ws`, { ca });

      // Without `ca`, the clients refuse the self-signed certificate.
      await clients.refusedSocketIo(origin);
      const wsUntrusted = await clients.refusedWebSocket(`wss://127.0.0.1:${example.port}/ws`);
      assert.match(wsUntrusted.message, /self-signed|certificate/i);

      await stopGracefully(example, { webSockets: [ws], sockets: [socket] });
    } finally {
      clients.close();
      example.kill();
    }
  });

  test('tls-client-certificates.mjs: an allowed client certificate connects; a trusted but unlisted one, or none, is refused', async () => {
    const example = await startExample('tls-client-certificates.mjs', {
      TLS_KEY: server.keyPath,
      TLS_CERT: server.certPath,
      CLIENT_CA: clientCa,
      ALLOWED_CLIENTS: 'ada,grace',
    });
    const clients = new Clients();
    try {
      const origin = `https://127.0.0.1:${example.port}`;
      const wsUrl = `wss://127.0.0.1:${example.port}/ws`;
      const ca = server.cert.toString();
      const asAda = { ca, cert: ada.cert.toString(), key: ada.key.toString() };
      const asMallory = { ca, cert: mallory.cert.toString(), key: mallory.key.toString() };

      const socket = await clients.socketIo(origin, asAda);
      assert.equal(await socket.timeout(5000).emitWithAck('whoami'), 'ada');
      const [ws, welcome] = await clients.greetedWebSocket(wsUrl, asAda);
      assert.equal(welcome, 'welcome, ada');

      // allowRequest's refusal is a 403 to the handshake, which the client reports with its status.
      const refused = (await clients.refusedSocketIo(origin, asMallory)) as Error & { description?: unknown };
      assert.equal(refused.description, 403);
      assert.match((await clients.refusedWebSocket(wsUrl, asMallory)).message, /403/);

      // No certificate: the TLS handshake itself fails, before any request.
      assert.ok(await clients.refusedSocketIo(origin, { ca }));
      assert.ok(await clients.refusedWebSocket(wsUrl, { ca }));

      await stopGracefully(example, { webSockets: [ws] });
    } finally {
      clients.close();
      example.kill();
    }
  });
});
