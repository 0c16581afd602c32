/**
 * Engine.IO protocol v4 error answers over raw HTTP: every refused request gets the right status,
 * the `{"code","message"}` body, and a `'connection_error'` event; the server keeps running.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EngineServer, type ConnectionError, type EngineSocket } from '../../src/engine/index.js';
import { RawWebSocket, openPolling, rawRequest, startEngine, withEngine, type EngineFixture } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

const UPGRADE_HEADERS = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

describe('HTTP errors (Engine.IO protocol v4, "Query parameters")', () => {
  let fixture: EngineFixture;
  const errors: ConnectionError[] = [];

  before(async () => {
    fixture = await startEngine({
      allowRequest: (req, callback) => {
        if (req.headers['x-deny'] === 'loudly') throw new Error('no entry for you');
        callback(null, req.headers['x-deny'] !== 'silently');
      },
    });
    fixture.engine.on('connection_error', (error) => errors.push(error));
  });
  after(() => fixture.close());

  async function expectError(
    query: string,
    status: number,
    code: number,
    message: string,
    init: Parameters<typeof rawRequest>[2] = {},
  ): Promise<ConnectionError> {
    const before = errors.length;
    const response = await rawRequest(fixture.port, fixture.path(query), init);
    assert.equal(response.status, status, response.body);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(response.body), { code, message });
    assert.equal(errors.length, before + 1, 'one connection_error per refusal');
    const error = errors.at(-1)!;
    assert.equal(error.code, code);
    assert.equal(typeof error.req.url, 'string');
    return error;
  }

  it('0 Transport unknown: missing or unknown transport', async () => {
    await expectError('EIO=4', 400, 0, 'Transport unknown');
    const error = await expectError('EIO=4&transport=flashsocket', 400, 0, 'Transport unknown');
    assert.equal(error.message, 'Transport unknown');
    assert.deepEqual(error.context, { transport: 'flashsocket' });
  });

  it('1 Session ID unknown: GET and POST with a sid nobody holds', async () => {
    const error = await expectError('EIO=4&transport=polling&sid=nope', 400, 1, 'Session ID unknown');
    assert.deepEqual(error.context, { sid: 'nope' });
    await expectError('EIO=4&transport=polling&sid=nope', 400, 1, 'Session ID unknown', {
      method: 'POST',
      body: '4hi',
    });
  });

  it('2 Bad handshake method: a handshake that is not a GET', async () => {
    const error = await expectError('EIO=4&transport=polling', 400, 2, 'Bad handshake method', {
      method: 'POST',
      body: '',
    });
    assert.deepEqual(error.context, { method: 'POST' });
    await expectError('EIO=4&transport=polling', 400, 2, 'Bad handshake method', { method: 'PUT', body: '' });
  });

  it('3 Bad request: WebSocket handshake without an upgrade', async () => {
    await expectError('EIO=4&transport=websocket', 400, 3, 'Bad request');
  });

  it('3 Bad request: transport or protocol mismatch for an open session', async () => {
    const { sid } = await openPolling(fixture);
    const mismatch = await expectError(`EIO=4&transport=websocket&sid=${sid}`, 400, 3, 'Bad request');
    assert.equal(mismatch.context['name'], 'TRANSPORT_MISMATCH');
    const protocol = await expectError(`EIO=3&transport=polling&sid=${sid}`, 400, 3, 'Bad request');
    assert.equal(protocol.context['name'], 'PROTOCOL_MISMATCH');
    fixture.engine.clients.get(sid)!.close();
  });

  it('4 Forbidden: allowRequest calls back false (403) or throws (403 with its message)', async () => {
    await expectError('EIO=4&transport=polling', 403, 4, 'Forbidden', { headers: { 'x-deny': 'silently' } });
    const error = await expectError('EIO=4&transport=polling', 403, 4, 'no entry for you', {
      headers: { 'x-deny': 'loudly' },
    });
    assert.equal(error.message, 'Forbidden');
    assert.equal(error.context['message'], 'no entry for you');
  });

  it('5 Unsupported protocol version: EIO missing, 3, or garbage', async () => {
    const error = await expectError('transport=polling', 400, 5, 'Unsupported protocol version');
    assert.deepEqual(error.context, { protocol: null });
    await expectError('EIO=3&transport=polling', 400, 5, 'Unsupported protocol version');
    await expectError('EIO=abc&transport=polling', 400, 5, 'Unsupported protocol version');
  });

  it('refuses upgrades with the same codes, on the raw socket', async () => {
    const cases: [string, number, number][] = [
      ['EIO=4&transport=websocket&sid=nope', 400, 1],
      ['EIO=4&transport=bogus', 400, 0],
      ['EIO=3&transport=websocket', 400, 5],
      ['EIO=4&transport=polling', 400, 3],
    ];
    for (const [query, status, code] of cases) {
      const before = errors.length;
      const response = await rawRequest(fixture.port, fixture.path(query), { headers: UPGRADE_HEADERS });
      assert.equal(response.status, status, query);
      assert.equal(JSON.parse(response.body).code, code, query);
      assert.equal(errors.length, before + 1);
    }
    const forbidden = await rawRequest(fixture.port, fixture.path('EIO=4&transport=websocket'), {
      headers: { ...UPGRADE_HEADERS, 'x-deny': 'silently' },
    });
    assert.equal(forbidden.status, 403);
    assert.deepEqual(JSON.parse(forbidden.body), { code: 4, message: 'Forbidden' });
  });

  it('leaves requests for other paths to the server’s own listeners', async () => {
    const response = await rawRequest(fixture.port, '/elsewhere?EIO=4&transport=polling');
    assert.equal(response.status, 404);
    assert.equal(response.body, 'not found');
  });

  it('takes a path under its own as an engine request when the query names Engine.IO (EIO and transport), as the reference server does', async () => {
    const base = fixture.engine.options.path;
    const handshake = await rawRequest(fixture.port, `${base}default/?EIO=4&transport=polling`);
    assert.equal(handshake.status, 200);
    const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
    fixture.engine.clients.get(sid)!.close();
    const client = await RawWebSocket.connect(
      `ws://127.0.0.1:${fixture.port}${base}sub/path?EIO=4&transport=websocket`,
    );
    assert.equal((await client.nextText())[0], '0');
    client.close();
    // Without that query, the paths under it stay the application's.
    for (const path of [`${base}default/`, `${base}page?EIO=4`, `${base}page?transport=polling`]) {
      const response = await rawRequest(fixture.port, path);
      assert.equal(response.status, 404, path);
      assert.equal(response.body, 'not found', path);
    }
  });

  it('keeps serving after all of the above', async () => {
    const handshake = await openPolling(fixture);
    assert.equal(typeof handshake.sid, 'string');
    fixture.engine.clients.get(handshake.sid)!.close();
  });
});

describe('CORS and cookie', () => {
  it('answers preflights and reflects allowed origins only', async () => {
    const fixture = await startEngine({
      cors: { origin: ['https://app.example', /\.trusted\.example$/], credentials: true, methods: ['GET', 'POST'] },
    });
    try {
      const preflight = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'), {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
      assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
      assert.equal(preflight.headers['access-control-allow-methods'], 'GET,POST');
      assert.equal(preflight.headers['access-control-allow-headers'], 'content-type');
      assert.match(String(preflight.headers['vary']), /Origin/);

      const allowed = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'), {
        headers: { Origin: 'https://a.trusted.example' },
      });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://a.trusted.example');

      const denied = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'), {
        headers: { Origin: 'https://evil.example' },
      });
      assert.equal(denied.headers['access-control-allow-origin'], undefined);

      const error = await rawRequest(fixture.port, fixture.path('EIO=4&transport=nope'), {
        headers: { Origin: 'https://app.example' },
      });
      assert.equal(error.status, 400);
      assert.equal(
        error.headers['access-control-allow-origin'],
        'https://app.example',
        'errors are readable cross-origin too',
      );
    } finally {
      await fixture.close();
    }
  });

  it('without cors, a preflight is a bad handshake method and no CORS header is sent', async () => {
    const fixture = await startEngine();
    try {
      const preflight = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'), {
        method: 'OPTIONS',
        headers: { Origin: 'https://x.example' },
      });
      assert.equal(preflight.status, 400);
      assert.equal(JSON.parse(preflight.body).code, 2);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    } finally {
      await fixture.close();
    }
  });

  it('sets the session cookie on the handshake only when asked', async () => {
    const withCookie = await startEngine({ cookie: { name: 'sticky', sameSite: 'strict' } });
    const without = await startEngine();
    try {
      const response = await rawRequest(withCookie.port, withCookie.path('EIO=4&transport=polling'));
      const sid = JSON.parse(response.body.slice(1)).sid as string;
      assert.deepEqual(response.headers['set-cookie'], [`sticky=${sid}; Path=/; HttpOnly; SameSite=Strict`]);
      const poll = await rawRequest(withCookie.port, withCookie.path(`EIO=4&transport=polling&sid=${sid}`), {
        method: 'POST',
        body: '1',
      });
      assert.equal(poll.headers['set-cookie'], undefined, 'only the handshake sets it');
      const plain = await rawRequest(without.port, without.path('EIO=4&transport=polling'));
      assert.equal(plain.headers['set-cookie'], undefined);

      // A WebSocket-only handshake gets it on the 101 response.
      const connection = withCookie.nextConnection();
      const upgrade = request({
        host: '127.0.0.1',
        port: withCookie.port,
        path: withCookie.path('EIO=4&transport=websocket'),
        headers: UPGRADE_HEADERS,
      });
      upgrade.end();
      const [accepted, socket] = (await waitFor(upgrade, 'upgrade')) as [IncomingMessage, Socket];
      const session = await connection;
      assert.deepEqual(accepted.headers['set-cookie'], [`sticky=${session.id}; Path=/; HttpOnly; SameSite=Strict`]);
      socket.destroy();
    } finally {
      await withCookie.close();
      await without.close();
    }
  });
});

describe('Serving without attach', () => {
  it('handleRequest and handleUpgrade work from a server’s own listeners, on a custom path', async () => {
    const engine = new EngineServer({ path: 'custom' });
    assert.equal(engine.options.path, '/custom/');
    const http = createServer((req, res) => {
      if (req.url?.startsWith('/custom/')) engine.handleRequest(req, res);
      else res.writeHead(418).end();
    });
    http.on('upgrade', (req, socket, head) => engine.handleUpgrade(req, socket, head));
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    const port = (http.address() as AddressInfo).port;
    try {
      const response = await rawRequest(port, '/custom/?EIO=4&transport=polling');
      assert.equal(response.status, 200);
      assert.equal(response.body[0], '0');
      assert.equal((await rawRequest(port, '/other')).status, 418);
      const connection = waitFor<[EngineSocket]>(engine, 'connection');
      const client = await RawWebSocket.connect(`ws://127.0.0.1:${port}/custom/?EIO=4&transport=websocket`);
      const [socket] = await connection;
      assert.equal(socket.transportName, 'websocket');
      assert.equal(engine.clientsCount, 2);

      engine.close();
      assert.equal(engine.clientsCount, 0);
      await client.closed;
      const again = await rawRequest(port, '/custom/?EIO=4&transport=polling');
      assert.equal(again.status, 200, 'a closed engine can serve again');
      const reconnected = await RawWebSocket.connect(`ws://127.0.0.1:${port}/custom/?EIO=4&transport=websocket`);
      assert.equal((await reconnected.nextText())[0], '0');
      reconnected.close();
    } finally {
      engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('3 Bad request: an Origin with a control character (let through by a lenient HTTP parser)', async () => {
    const engine = new EngineServer();
    const errors: ConnectionError[] = [];
    engine.on('connection_error', (error) => errors.push(error));
    // Node's strict parser drops such a request itself; a lenient one hands it to the engine.
    const http = createServer({ insecureHTTPParser: true });
    engine.attach(http);
    http.listen(0, '127.0.0.1');
    await waitFor(http, 'listening');
    const port = (http.address() as AddressInfo).port;
    try {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.end(
        'GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: http://a\x01b\r\nConnection: close\r\n\r\n',
      );
      await waitFor(socket, 'close');
      const answer = Buffer.concat(chunks).toString('latin1');
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.ok(answer.endsWith('{"code":3,"message":"Bad request"}'), answer);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.context['name'], 'INVALID_ORIGIN');
      assert.equal(engine.clientsCount, 0);
    } finally {
      engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  it('refuses a destroyUpgradeTimeout that is negative or not a number', () => {
    const engine = new EngineServer();
    for (const destroyUpgradeTimeout of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => engine.attach(createServer(), { destroyUpgradeTimeout }), TypeError);
      assert.throws(
        () => new EngineServer({ destroyUpgradeTimeout }),
        /destroyUpgradeTimeout must be a finite number >= 0/,
      );
    }
    engine.close();
  });

  // attach()'s options, or the constructor's, as the reference `attach(server, options)` hands one object to both.
  for (const given of ['attach', 'constructor'] as const) {
    it(`ends upgrades for other paths that nobody answers within destroyUpgradeTimeout (given to ${given}), and leaves answered ones`, async () => {
      const engine = new EngineServer(given === 'constructor' ? { destroyUpgradeTimeout: 50 } : {});
      const http = createServer();
      engine.attach(http, given === 'attach' ? { destroyUpgradeTimeout: 50 } : {});
      // Another upgrade listener answers its own path; the engine must not end that socket.
      const accepted: Socket[] = [];
      http.on('upgrade', (req: IncomingMessage, socket: Socket) => {
        accepted.push(socket);
        if (req.url === '/answered')
          socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n');
      });
      http.listen(0, '127.0.0.1');
      await waitFor(http, 'listening');
      const port = (http.address() as AddressInfo).port;
      const upgrade = (path: string): Socket => {
        const socket = connect(port, '127.0.0.1');
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n`);
        return socket;
      };
      try {
        const ignored = upgrade('/ignored');
        const received: Buffer[] = [];
        ignored.on('data', (chunk: Buffer) => received.push(chunk));
        await waitFor(ignored, 'end', 2000);
        assert.equal(Buffer.concat(received).length, 0, 'ended without an answer');
        ignored.destroy();

        const answered = upgrade('/answered');
        await waitFor(answered, 'data', 2000);
        let ended = false;
        answered.on('end', () => (ended = true));
        await sleep(150);
        assert.equal(ended, false, 'an answered upgrade stays open');
        answered.destroy();
      } finally {
        // Upgraded sockets are no longer the server's to close.
        for (const socket of accepted) socket.destroy();
        engine.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      }
    });
  }

  it('rejects impossible options at construction', () => {
    assert.throws(() => new EngineServer({ pingInterval: 0 }), TypeError);
    assert.throws(() => new EngineServer({ pingTimeout: -1 }), TypeError);
    assert.throws(() => new EngineServer({ maxHttpBufferSize: Number.NaN }), TypeError);
    assert.throws(() => new EngineServer({ transports: [] }), TypeError);
    assert.throws(() => new EngineServer({ transports: ['flashsocket' as 'polling'] }), TypeError);
    assert.throws(() => new EngineServer({ allowEIO3: true as false }), /not supported/);
    assert.equal(new EngineServer().options.path, '/engine.io/');
  });
});

describe('Hooks: generateId and header events', () => {
  it('uses a replaced generateId, and refuses handshakes whose id fails or is taken', async () => {
    await withEngine({}, async (fixture, errors) => {
      let next: string | Error = 'custom-1';
      fixture.engine.generateId = async () => {
        if (next instanceof Error) throw next;
        return next;
      };
      assert.equal((await openPolling(fixture)).sid, 'custom-1');
      const duplicate = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'));
      assert.equal(duplicate.status, 400);
      assert.deepEqual(JSON.parse(duplicate.body), { code: 3, message: 'Bad request' });
      next = new Error('id service down');
      const failed = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'));
      assert.equal(failed.status, 400);
      assert.deepEqual(
        errors.map((error) => error.context['name']),
        ['ID_GENERATION_ERROR', 'ID_GENERATION_ERROR'],
      );
      next = 'custom-ws';
      const connection = fixture.nextConnection();
      const client = await RawWebSocket.connect(fixture.url('EIO=4&transport=websocket').replace('http:', 'ws:'));
      assert.equal((await connection).id, 'custom-ws');
      client.close();
    });
  });

  it("lets 'initial_headers' and 'headers' listeners add response headers", async () => {
    const fixture = await startEngine();
    const seen: string[] = [];
    fixture.engine.on('initial_headers', (headers, req) => {
      headers['X-Initial'] = 'yes';
      seen.push(`initial ${new URL(req.url!, 'http://x').searchParams.get('transport')}`);
    });
    fixture.engine.on('headers', (headers) => {
      headers['X-Every'] = 'yes';
      seen.push('every');
    });
    try {
      const handshake = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'));
      assert.equal(handshake.headers['x-initial'], 'yes');
      assert.equal(handshake.headers['x-every'], 'yes');
      const sid = JSON.parse(handshake.body.slice(1)).sid as string;
      const posted = await rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${sid}`), {
        method: 'POST',
        body: '4x',
      });
      assert.equal(posted.headers['x-initial'], undefined);
      assert.equal(posted.headers['x-every'], 'yes');

      const upgrade = request({
        host: '127.0.0.1',
        port: fixture.port,
        path: fixture.path('EIO=4&transport=websocket'),
        headers: UPGRADE_HEADERS,
      });
      upgrade.end();
      const [accepted, socket] = (await waitFor(upgrade, 'upgrade')) as [IncomingMessage, Socket];
      assert.equal(accepted.headers['x-initial'], 'yes');
      assert.equal(accepted.headers['x-every'], 'yes');
      socket.destroy();
      assert.deepEqual(seen, ['initial polling', 'every', 'every', 'initial websocket', 'every']);
    } finally {
      await fixture.close();
    }
  });
});
