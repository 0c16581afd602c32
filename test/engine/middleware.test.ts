/**
 * `engine.use(middleware)`: Express-style middlewares run on every HTTP request of the engine and
 * on upgrades (with a stand-in response whose headers go out with the 101), a failing one refuses
 * the request with "Bad request", and sessions keep the `IncomingMessage` once there are any.
 */
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { EngineMiddleware } from '../../src/engine/index.js';
import { HandshakeRequest } from '../../src/engine/index.js';
import { refusedUpgrade } from '../helpers/raw-http.js';
import { RawClient } from '../helpers/ws-peers.js';
import { openPolling, rawRequest, withEngine } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

describe('engine.use()', () => {
  it('runs on the handshake, polls and POSTs, in order, before the request is checked', async () => {
    await withEngine({}, async (fixture) => {
      const seen: string[] = [];
      fixture.engine.use((req, res, next) => {
        seen.push(`first ${req.method}`);
        res.setHeader('X-First', '1');
        next();
      });
      fixture.engine.use(async (req, _res, next) => {
        await sleep(2);
        seen.push(`second ${req.method}`);
        next();
      });
      const handshake = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'));
      assert.equal(handshake.status, 200);
      assert.equal(handshake.headers['x-first'], '1');
      const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
      const posted = await rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${sid}`), {
        method: 'POST',
        body: '4hi',
      });
      assert.equal(posted.status, 200);
      // An unknown transport is refused after the middlewares, as in the reference server.
      await rawRequest(fixture.port, fixture.path('EIO=4&transport=nope'));
      assert.deepEqual(seen, ['first GET', 'second GET', 'first POST', 'second POST', 'first GET', 'second GET']);
    });
  });

  it('a middleware that fails (next(err), throws, rejects) refuses with "Bad request"', async () => {
    await withEngine({}, async (fixture, errors) => {
      fixture.engine.use((req, _res, next) => {
        const how = req.headers['x-fail'];
        if (how === 'next') next(new Error('denied by next'));
        else if (how === 'throw') throw new Error('denied by throw');
        else if (how === 'reject') return Promise.reject(new Error('denied by reject'));
        else next();
        return undefined;
      });
      for (const how of ['next', 'throw', 'reject']) {
        const response = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'), {
          headers: { 'x-fail': how },
        });
        assert.equal(response.status, 400, how);
        assert.deepEqual(JSON.parse(response.body), { code: 3, message: 'Bad request' });
        const error = errors.at(-1)!;
        assert.equal(error.context['name'], 'MIDDLEWARE_FAILURE');
        assert.equal((error.context['error'] as Error).message, `denied by ${how}`);
      }
      assert.equal(fixture.engine.clientsCount, 0);
      assert.equal((await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'))).status, 200);
    });
  });

  it('a middleware may answer the request itself', async () => {
    await withEngine({}, async (fixture) => {
      fixture.engine.use((req, res, next) => {
        if (req.headers['x-teapot'] === undefined) {
          next();
          return;
        }
        res.writeHead(418);
        res.end('short and stout');
      });
      const response = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'), {
        headers: { 'x-teapot': '1' },
      });
      assert.equal(response.status, 418);
      assert.equal(response.body, 'short and stout');
      assert.equal(fixture.engine.clientsCount, 0);
    });
  });

  it('runs on upgrades with a stand-in response: its headers go out with the 101, writeHead is called', async () => {
    await withEngine({}, async (fixture, errors) => {
      let wroteHead = 0;
      const cookieOnHead: EngineMiddleware = (req, res, next) => {
        // What express-session does: set its cookie when the head is written.
        const writeHead = res.writeHead;
        res.writeHead = ((...args: Parameters<typeof writeHead>) => {
          wroteHead++;
          res.setHeader('Set-Cookie', ['sid=abc; Path=/', 'theme=dark; Path=/']);
          return writeHead.apply(res, args);
        }) as typeof writeHead;
        if (req.headers['x-fail'] !== undefined) next(new Error('no upgrade for you'));
        else next();
      };
      fixture.engine.use(cookieOnHead);
      fixture.engine.use((_req, res, next) => {
        res.setHeader('X-Upgrade-Checked', 'yes');
        assert.equal(res.getHeader('x-upgrade-checked'), 'yes');
        next();
      });
      const connection = waitFor(fixture.engine, 'connection');
      const client = await RawClient.open(fixture.port, fixture.path('EIO=4&transport=websocket'));
      try {
        assert.equal(client.status, 101);
        assert.match(client.response, /\r\nX-Upgrade-Checked: yes\r\n/i);
        assert.match(client.response, /\r\nSet-Cookie: sid=abc; Path=\/(\r\n|, )/i);
        assert.equal(wroteHead, 1);
        await connection;
      } finally {
        client.socket.destroy();
      }
      const refused = await RawClient.open(fixture.port, fixture.path('EIO=4&transport=websocket'), 'x-fail: 1\r\n');
      assert.equal(refused.status, 400);
      assert.equal(errors.at(-1)!.context['name'], 'MIDDLEWARE_FAILURE');
      refused.socket.destroy();
    });
  });

  it('finds the parsed query in req._query, as the reference server puts it there (handshake, poll, upgrade)', async () => {
    await withEngine({}, async (fixture) => {
      const queries: Record<string, string>[] = [];
      fixture.engine.use((req, _res, next) => {
        queries.push({ ...(req as typeof req & { _query: Record<string, string> })._query });
        next();
      });
      const { sid } = await openPolling(fixture);
      await rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${sid}`), {
        method: 'POST',
        body: '4hi',
      });
      const client = await RawClient.open(fixture.port, fixture.path('EIO=4&transport=websocket&room=a%20b'));
      client.socket.destroy();
      assert.deepEqual(queries, [
        { EIO: '4', transport: 'polling' },
        { EIO: '4', transport: 'polling', sid },
        { EIO: '4', transport: 'websocket', room: 'a b' },
      ]);
    });
  });

  it('ending the stand-in response on an upgrade closes the connection', async () => {
    await withEngine({}, async (fixture) => {
      fixture.engine.use((_req, res) => {
        res.end();
      });
      const client = await RawClient.open(fixture.port, fixture.path('EIO=4&transport=websocket'));
      assert.equal(client.response, '');
      assert.equal(fixture.engine.clientsCount, 0);
    });
  });

  it('a middleware refusing an upgrade with a status gets that answer written, headers and body', async () => {
    await withEngine({}, async (fixture) => {
      fixture.engine.use((req, res, next) => {
        if (req.headers['x-who'] === 'nobody') {
          res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="hub"' });
          res.end('log in first');
        } else if (req.headers['x-who'] === 'intruder') {
          res.statusCode = 403;
          res.end();
        } else next();
      });
      const unauthenticated = await refusedUpgrade(
        `http://127.0.0.1:${fixture.port}`,
        fixture.path('EIO=4&transport=websocket'),
        { 'x-who': 'nobody' },
      );
      assert.equal(unauthenticated.status, 401);
      assert.equal(unauthenticated.headers['www-authenticate'], 'Basic realm="hub"');
      assert.equal(unauthenticated.body.toString(), 'log in first');
      const forbidden = await RawClient.open(
        fixture.port,
        fixture.path('EIO=4&transport=websocket'),
        'x-who: intruder\r\n',
      );
      assert.equal(forbidden.status, 403);
      forbidden.socket.destroy();
      assert.equal(fixture.engine.clientsCount, 0);
      const welcome = await RawClient.open(fixture.port, fixture.path('EIO=4&transport=websocket'));
      assert.equal(welcome.status, 101);
      welcome.socket.destroy();
    });
  });

  it('the stand-in response is over once the 101 is written: a late end() leaves the WebSocket open', async () => {
    await withEngine({}, async (fixture) => {
      const events: string[] = [];
      let late: (() => void) | undefined;
      fixture.engine.use((_req, res, next) => {
        res.on('finish', () => events.push('finish'));
        res.on('close', () => events.push('close'));
        late = () => res.end();
        next();
      });
      const connection = fixture.nextConnection();
      const client = await RawClient.open(fixture.port, fixture.path('EIO=4&transport=websocket'));
      try {
        assert.equal(client.status, 101);
        const session = await connection;
        // Loggers waiting for the response to end hear of it now, not when the connection closes.
        assert.deepEqual(events, ['finish', 'close']);
        late!();
        await sleep(20);
        assert.equal(client.ended, false, 'the WebSocket stays open');
        assert.equal(session.readyState, 'open');
      } finally {
        client.socket.destroy();
      }
    });
  });

  it('a stand-in status Node would refuse is not written: the upgrade connection just closes', async () => {
    await withEngine({}, async (fixture) => {
      const statuses: unknown[] = ['403 Forbidden\r\nX-Injected: 1', 4030, 403.5];
      fixture.engine.use((req, res) => {
        res.statusCode = statuses[Number(req.headers['x-case'])] as number;
        res.end();
      });
      for (const [index, status] of statuses.entries()) {
        const client = await RawClient.open(
          fixture.port,
          fixture.path('EIO=4&transport=websocket'),
          `x-case: ${index}\r\n`,
        );
        assert.equal(client.response, '', String(status));
      }
      assert.equal(fixture.engine.clientsCount, 0);
    });
  });

  it('sessions keep the IncomingMessage once there are middlewares, a lighter copy without', async () => {
    await withEngine({}, async (fixture) => {
      const light = fixture.nextConnection();
      await openPolling(fixture);
      const lightRequest = (await light).request;
      assert.ok(lightRequest instanceof HandshakeRequest);
      assert.ok(lightRequest instanceof IncomingMessage);
      assert.equal(Object.hasOwn(lightRequest, 'rawHeaders'), false);

      fixture.engine.use((req, _res, next) => {
        (req as IncomingMessage & { user?: string }).user = 'ana';
        next();
      });
      const full = fixture.nextConnection();
      await openPolling(fixture);
      const fullRequest = (await full).request as IncomingMessage & { user?: string };
      assert.equal(fullRequest instanceof HandshakeRequest, false);
      assert.ok(Array.isArray(fullRequest.rawHeaders));
      assert.equal(fullRequest.user, 'ana');
    });
  });

  it("with only the cors option's middleware, the lighter copy does not keep the engine's req._query", async () => {
    await withEngine({ cors: true }, async (fixture) => {
      const connection = fixture.nextConnection();
      await openPolling(fixture);
      const request = (await connection).request;
      assert.ok(request instanceof HandshakeRequest);
      assert.equal(Object.hasOwn(request, '_query'), false);
    });
  });

  it('use() takes a function only', async () => {
    await withEngine({}, async (fixture) => {
      assert.throws(
        () => fixture.engine.use('helmet' as unknown as EngineMiddleware),
        /use\(\) takes a middleware function/,
      );
    });
  });
});
