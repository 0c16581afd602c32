import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  WebSocket,
  WebSocketServer,
  type VerifyClientCallback,
  type VerifyClientInfo,
  type WebSocketServerOptions,
} from '../../src/ws/index.js';
import { selfSigned, skipWithoutOpenssl } from '../helpers/certificates.js';
import { refusedUpgrade } from '../helpers/raw-http.js';
import { startServer, upgradeRequest } from '../helpers/ws-peers.js';
import { waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

// `ws`'s verifyClient hook, in its two forms, and how it sits beside our `authenticate`.

/** Starts a server with `options`, runs `body` with its URL, and closes it whatever happens. */
function withServerAt(
  options: Omit<WebSocketServerOptions, 'port' | 'server' | 'noServer'>,
  body: (url: string, wss: WebSocketServer) => Promise<void>,
): Promise<void> {
  return withServer(
    () => startServer(options),
    (server) => body(`http://127.0.0.1:${server.port}`, server.wss),
  );
}

/** Opens a client to `url` and resolves once it is open, closing it right away. */
async function accepted(url: string): Promise<void> {
  const client = new WebSocket(url.replace('http:', 'ws:'));
  await waitFor(client, 'open');
  client.close();
  await waitFor(client, 'close');
}

describe('verifyClient, synchronous form', () => {
  test('false refuses with 401 Unauthorized and no connection', async () => {
    let connections = 0;
    await withServerAt({ verifyClient: () => false }, async (url, wss) => {
      wss.on('connection', () => connections++);
      const response = await refusedUpgrade(url, '/');
      assert.equal(response.status, 401);
      assert.equal(response.body.toString(), 'Unauthorized');
    });
    assert.equal(connections, 0);
  });

  test('true accepts, and the hook is told the origin, whether TLS is used and the request', async () => {
    let seen: VerifyClientInfo | undefined;
    await withServerAt(
      {
        verifyClient: (info) => {
          seen = info;
          return true;
        },
      },
      async (url) => {
        const client = new WebSocket(`${url.replace('http:', 'ws:')}/room?id=7`, {
          origin: 'https://app.example',
          headers: { 'X-Trace': 'abc' },
        });
        await waitFor(client, 'open');
        client.close();
        await waitFor(client, 'close');
      },
    );
    assert.equal(seen?.origin, 'https://app.example');
    assert.equal(seen?.secure, false);
    assert.equal(seen?.req.url, '/room?id=7');
    assert.equal(seen?.req.headers['x-trace'], 'abc');
  });

  test('a returned promise is awaited: one resolving to false refuses (ws would take the promise for a yes)', async () => {
    await withServerAt({ verifyClient: async () => false }, async (url) => {
      assert.equal((await refusedUpgrade(url, '/')).status, 401);
    });
    await withServerAt({ verifyClient: async () => true }, accepted);
  });

  test('a hook that throws refuses with 500, and the server goes on serving', async () => {
    let calls = 0;
    const verifyClient = (): boolean => {
      if (calls++ === 0) throw new Error('database down');
      return true;
    };
    await withServerAt({ verifyClient }, async (url, wss) => {
      const errors: Error[] = [];
      wss.on('wsClientError', (error, socket) => {
        errors.push(error);
        socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      });
      assert.equal((await refusedUpgrade(url, '/')).status, 500);
      assert.match(errors[0]!.message, /verifyClient hook failed/);
      assert.equal((errors[0]!.cause as Error).message, 'database down');
      wss.removeAllListeners('wsClientError');
      await accepted(url);
    });
  });

  test('secure is true over TLS', { skip: skipWithoutOpenssl }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-verify-'));
    const certificate = selfSigned(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    const httpsServer = https.createServer({ key: certificate.key, cert: certificate.cert });
    let secure: boolean | undefined;
    const wss = new WebSocketServer({ server: httpsServer, verifyClient: (info) => (secure = info.secure) });
    try {
      httpsServer.listen(0, '127.0.0.1');
      await waitFor(httpsServer, 'listening');
      const { port } = httpsServer.address() as AddressInfo;
      const client = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: certificate.cert });
      await waitFor(client, 'open');
      client.close();
      await waitFor(client, 'close');
      assert.equal(secure, true);
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      httpsServer.closeAllConnections();
      await new Promise<void>((resolve) => httpsServer.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('verifyClient, callback form', () => {
  test('an asynchronous yes accepts', async () => {
    await withServerAt({ verifyClient: (_info, done) => setImmediate(done, true) }, accepted);
  });

  test('an asynchronous no refuses with 401 by default (it used to accept everyone)', async () => {
    await withServerAt({ verifyClient: (_info, done) => setImmediate(done, false) }, async (url) => {
      const response = await refusedUpgrade(url, '/');
      assert.equal(response.status, 401);
      assert.equal(response.body.toString(), 'Unauthorized');
    });
  });

  test('a no answers with the status, message and headers it gives', async () => {
    const verifyClient = (_info: VerifyClientInfo, done: VerifyClientCallback): void => {
      setImmediate(() =>
        done(false, 503, 'Come back later', { 'Retry-After': 120, 'X-Reasons': ['maintenance', 'upgrade'] }),
      );
    };
    await withServerAt({ verifyClient }, async (url) => {
      const response = await refusedUpgrade(url, '/');
      assert.equal(response.status, 503);
      assert.equal(response.body.toString(), 'Come back later');
      assert.equal(response.headers['retry-after'], '120');
      assert.equal(response.headers['x-reasons'], 'maintenance, upgrade');
    });
  });

  test('a code of its own with no message gets its status text, as the body too (as ws)', async () => {
    for (const status of [404, 418, 451]) {
      await withServerAt({ verifyClient: (_info, done) => done(false, status) }, async (url) => {
        const response = await refusedUpgrade(url, '/');
        assert.equal(response.status, status);
        assert.equal(response.body.toString(), STATUS_CODES[status]);
      });
    }
  });

  test("its headers replace ours of the same name, as ws's do", async () => {
    const verifyClient = (_info: VerifyClientInfo, done: VerifyClientCallback): void => {
      done(false, 401, '{"error":"no session"}', { 'content-type': 'application/json', 'WWW-Authenticate': 'Cookie' });
    };
    await withServerAt({ verifyClient }, async (url) => {
      const response = await refusedUpgrade(url, '/');
      assert.equal(response.status, 401);
      // One Content-Type, the hook's; two would leave the client to guess.
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal(response.headers['www-authenticate'], 'Cookie');
      assert.deepEqual(JSON.parse(response.body.toString()), { error: 'no session' });
    });
  });

  test('a header that would inject lines is answered 500, and the server carries on', async () => {
    const verifyClient = (_info: VerifyClientInfo, done: VerifyClientCallback): void => {
      setImmediate(() => done(false, 403, 'Forbidden', { 'X-Reason': 'a\r\nSet-Cookie: stolen=1' }));
    };
    await withServerAt({ verifyClient }, async (url) => {
      const response = await refusedUpgrade(url, '/');
      assert.equal(response.status, 500);
      assert.equal(response.headers['set-cookie'], undefined);
      // A second request: the first did not take the server down.
      assert.equal((await refusedUpgrade(url, '/')).status, 500);
    });
  });

  test('only the first answer counts', async () => {
    await withServerAt(
      {
        verifyClient: (_info, done) => {
          done(false, 403);
          done(true);
        },
      },
      async (url) => assert.equal((await refusedUpgrade(url, '/')).status, 403),
    );
  });

  test('a hook that throws before answering, or an async one that rejects, refuses with 500', async () => {
    const throwing = (_info: VerifyClientInfo, _done: VerifyClientCallback): void => {
      throw new Error('boom');
    };
    await withServerAt({ verifyClient: throwing }, async (url) =>
      assert.equal((await refusedUpgrade(url, '/')).status, 500),
    );
    const rejecting = async (_info: VerifyClientInfo, _done: VerifyClientCallback): Promise<void> => {
      throw new Error('boom');
    };
    await withServerAt({ verifyClient: rejecting }, async (url) =>
      assert.equal((await refusedUpgrade(url, '/')).status, 500),
    );
  });

  test('a hook that never answers is refused with 408 after handshakeTimeout', async () => {
    await withServerAt({ verifyClient: (_info, _done) => undefined, handshakeTimeout: 200 }, async (url) => {
      assert.equal((await refusedUpgrade(url, '/')).status, 408);
    });
  });
});

describe('verifyClient beside authenticate', () => {
  test('both must accept: verifyClient decides first, and a refusal there skips authenticate', async () => {
    let authenticated = 0;
    const authenticate = (): boolean => {
      authenticated++;
      return true;
    };
    await withServerAt({ verifyClient: (_info, done) => setImmediate(done, false, 403), authenticate }, async (url) => {
      assert.equal((await refusedUpgrade(url, '/')).status, 403);
    });
    assert.equal(authenticated, 0);
    await withServerAt({ verifyClient: () => true, authenticate }, accepted);
    assert.equal(authenticated, 1);
  });

  test('authenticate may still refuse what verifyClient accepted', async () => {
    const authenticate = () => ({ status: 429, message: 'Slow down' });
    await withServerAt({ verifyClient: (_info, done) => done(true), authenticate }, async (url) => {
      const response = await refusedUpgrade(url, '/');
      assert.equal(response.status, 429);
      assert.equal(response.body.toString(), 'Slow down');
    });
  });

  test('a peer that half-closes while the hook decides: the hook still sees a writable socket, and an acceptance is not a connection', async () => {
    let connections = 0;
    const seen: [boolean, boolean][] = [];
    await withServerAt(
      {
        verifyClient: ({ req: { socket } }, done) => {
          seen.push([socket.readable, socket.writable]);
          socket.once('end', () => {
            seen.push([socket.readable, socket.writable]);
            done(true);
          });
        },
      },
      async (url, wss) => {
        wss.on('connection', () => connections++);
        const { port } = new URL(url);
        const peer = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
        peer.on('error', () => undefined);
        try {
          await waitFor(peer, 'connect');
          peer.resume();
          const ended = waitFor(peer, 'end');
          peer.end(upgradeRequest('/'));
          await ended;
        } finally {
          peer.destroy();
        }
      },
    );
    assert.deepEqual(seen, [
      [true, true],
      [false, true],
    ]);
    assert.equal(connections, 0);
  });

  test('verifyClient must be a function', () => {
    assert.throws(() => new WebSocketServer({ noServer: true, verifyClient: true as never }), {
      name: 'TypeError',
      message: /verifyClient must be a function/,
    });
  });
});
