/**
 * The `cors` option with the semantics of the `cors` package the reference server uses: every
 * form of `origin` (boolean, string, RegExp, list, function answering at once or later), the
 * options delegate, and the preflight options, checked on preflights and actual requests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CorsOptions, CorsOptionsDelegate, EngineServerOptions } from '../../src/engine/index.js';
import { EngineServer } from '../../src/engine/index.js';
import { rawRequest, startEngine, type RawResponse } from './helpers.js';
import { sleep } from '../helpers/wait.js';

const HANDSHAKE = 'EIO=4&transport=polling';

/** Runs `body` against an engine with `cors`, closing it afterwards. */
async function withCors(
  cors: NonNullable<EngineServerOptions['cors']>,
  body: (send: (origin: string | undefined, preflight?: boolean) => Promise<RawResponse>) => Promise<void>,
): Promise<void> {
  const fixture = await startEngine({ cors });
  try {
    await body((origin, preflight = false) =>
      rawRequest(fixture.port, fixture.path(HANDSHAKE), {
        method: preflight ? 'OPTIONS' : 'GET',
        headers: {
          ...(origin === undefined ? {} : { Origin: origin }),
          ...(preflight ? { 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-token' } : {}),
        },
      }),
    );
  } finally {
    await fixture.close();
  }
}

function allowOrigin(response: RawResponse): string | undefined {
  return response.headers['access-control-allow-origin'] as string | undefined;
}

describe('cors: origin forms, on actual requests and preflights', () => {
  const cases: [
    name: string,
    origin: NonNullable<CorsOptions['origin']>,
    allowed: string | undefined,
    denied: string | undefined,
  ][] = [
    ["'*' (the default): any origin, as *", '*', '*', '*'],
    ['true: the request origin, reflected', true, 'https://app.example', 'https://evil.example'],
    [
      'a string: that value, whatever the request origin',
      'https://app.example',
      'https://app.example',
      'https://app.example',
    ],
    ['a RegExp: the matching origin', /\.trusted\.example$/, 'https://a.trusted.example', undefined],
    ['a list of strings and RegExps', ['https://one.example', /^https:\/\/two\./], 'https://two.example', undefined],
  ];
  for (const [name, origin, allowed, denied] of cases) {
    it(name, async () => {
      await withCors({ origin }, async (send) => {
        const allowedOrigin = allowed === '*' || allowed === undefined ? 'https://a.trusted.example' : allowed;
        const actual = await send(allowedOrigin);
        assert.equal(actual.status, 200);
        assert.equal(allowOrigin(actual), allowed);
        const other = await send('https://evil.example');
        assert.equal(allowOrigin(other), denied);
        const preflight = await send(allowedOrigin, true);
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers['content-length'], '0');
        assert.equal(allowOrigin(preflight), allowed);
        // '*' does not depend on the origin, so it does not vary with it; every other form does.
        assert.equal(/Origin/.test(String(actual.headers['vary'] ?? '')), origin !== '*');
      });
    });
  }

  it('false: no CORS headers at all, and a preflight goes on to the engine (Bad handshake method)', async () => {
    await withCors({ origin: false }, async (send) => {
      const actual = await send('https://app.example');
      assert.equal(actual.status, 200);
      assert.equal(allowOrigin(actual), undefined);
      const preflight = await send('https://app.example', true);
      assert.equal(preflight.status, 400);
      assert.equal(JSON.parse(preflight.body).code, 2);
      assert.equal(preflight.headers['access-control-allow-methods'], undefined);
    });
  });

  it('cors: true allows any origin, as the cors package with its defaults', async () => {
    await withCors(true, async (send) => {
      assert.equal(allowOrigin(await send('https://x.example')), '*');
    });
  });

  it('a function (origin, callback) answering at once or later, allowing, denying or failing', async () => {
    const seen: (string | undefined)[] = [];
    const origin: NonNullable<CorsOptions['origin']> = (requestOrigin, callback) => {
      seen.push(requestOrigin);
      if (requestOrigin === 'https://sync.example') callback(null, true);
      else if (requestOrigin === 'https://async.example') setTimeout(() => callback(null, true), 20);
      else if (requestOrigin === 'https://fixed.example') callback(null, 'https://canonical.example');
      else if (requestOrigin === 'https://broken.example') setTimeout(() => callback(new Error('lookup failed')), 5);
      else setTimeout(() => callback(null, false), 5);
    };
    await withCors({ origin, credentials: true }, async (send) => {
      const sync = await send('https://sync.example');
      assert.equal(allowOrigin(sync), 'https://sync.example');
      assert.equal(sync.headers['access-control-allow-credentials'], 'true');
      assert.equal(allowOrigin(await send('https://async.example')), 'https://async.example');
      assert.equal(allowOrigin(await send('https://async.example', true)), 'https://async.example');
      assert.equal(allowOrigin(await send('https://fixed.example')), 'https://canonical.example');
      const denied = await send('https://evil.example');
      assert.equal(denied.status, 200, 'a denied origin still gets its answer, only unreadable to the page');
      assert.equal(allowOrigin(denied), undefined);
      const broken = await send('https://broken.example');
      assert.equal(broken.status, 400);
      assert.deepEqual(JSON.parse(broken.body), { code: 3, message: 'Bad request' });
      assert.deepEqual(seen.slice(0, 2), ['https://sync.example', 'https://async.example']);
    });
  });

  it('an origin function written for the old (origin, req) => value form is refused, not misread', async () => {
    const origin = ((_origin: string | undefined) => true) as unknown as NonNullable<CorsOptions['origin']>;
    await withCors({ origin }, async (send) => {
      const response = await send('https://app.example');
      assert.equal(response.status, 400);
      assert.equal(allowOrigin(response), undefined);
    });
  });

  it('an options delegate (req, callback) chooses the options per request', async () => {
    const delegate: CorsOptionsDelegate = (req, callback) => {
      if (req.headers['x-tenant'] === 'broken') {
        callback(new Error('no such tenant'));
        return;
      }
      setTimeout(() => callback(null, { origin: req.headers['x-tenant'] === 'a' ? 'https://a.example' : false }), 5);
    };
    const fixture = await startEngine({ cors: delegate });
    try {
      const request = (tenant: string): Promise<RawResponse> =>
        rawRequest(fixture.port, fixture.path(HANDSHAKE), {
          headers: { Origin: 'https://a.example', 'x-tenant': tenant },
        });
      assert.equal(allowOrigin(await request('a')), 'https://a.example');
      assert.equal(allowOrigin(await request('b')), undefined);
      assert.equal((await request('broken')).status, 400);
    } finally {
      await fixture.close();
    }
  });
});

describe('cors: preflight options', () => {
  it('methods, allowedHeaders, exposedHeaders, maxAge and optionsSuccessStatus, as lists or strings', async () => {
    const options: CorsOptions = {
      origin: 'https://app.example',
      methods: 'GET,POST',
      allowedHeaders: ['content-type', 'x-token'],
      exposedHeaders: 'x-request-id',
      maxAge: 600,
      optionsSuccessStatus: 200,
    };
    await withCors(options, async (send) => {
      const preflight = await send('https://app.example', true);
      assert.equal(preflight.status, 200);
      assert.equal(preflight.headers['access-control-allow-methods'], 'GET,POST');
      assert.equal(preflight.headers['access-control-allow-headers'], 'content-type,x-token');
      assert.equal(preflight.headers['access-control-expose-headers'], 'x-request-id');
      assert.equal(preflight.headers['access-control-max-age'], '600');
      const actual = await send('https://app.example');
      assert.equal(actual.headers['access-control-expose-headers'], 'x-request-id');
      assert.equal(actual.headers['access-control-allow-methods'], undefined, 'preflight headers only on preflights');
    });
  });

  it('without allowedHeaders, reflects what the preflight asks for and varies on it', async () => {
    await withCors({}, async (send) => {
      const preflight = await send('https://app.example', true);
      assert.equal(preflight.headers['access-control-allow-methods'], 'GET,HEAD,PUT,PATCH,POST,DELETE');
      assert.equal(preflight.headers['access-control-allow-headers'], 'x-token');
      assert.match(String(preflight.headers['vary']), /Access-Control-Request-Headers/);
    });
  });

  it('preflightContinue passes the preflight on to the engine after setting its headers', async () => {
    await withCors({ origin: true, preflightContinue: true }, async (send) => {
      const preflight = await send('https://app.example', true);
      assert.equal(preflight.status, 400, 'the engine answers an OPTIONS handshake "Bad handshake method"');
      assert.equal(allowOrigin(preflight), 'https://app.example');
      assert.equal(preflight.headers['access-control-allow-methods'], 'GET,HEAD,PUT,PATCH,POST,DELETE');
    });
  });

  it('a slow origin function does not hold other requests', async () => {
    const origin: NonNullable<CorsOptions['origin']> = (requestOrigin, callback) => {
      setTimeout(() => callback(null, true), requestOrigin === 'https://slow.example' ? 300 : 0);
    };
    await withCors({ origin }, async (send) => {
      const slow = send('https://slow.example');
      await sleep(10);
      const started = Date.now();
      assert.equal(allowOrigin(await send('https://fast.example')), 'https://fast.example');
      assert.ok(Date.now() - started < 250);
      assert.equal(allowOrigin(await slow), 'https://slow.example');
    });
  });
});

describe('cors: checked at construction', () => {
  it('names an unknown option and a misshapen origin', () => {
    assert.throws(() => new EngineServer({ cors: { orign: '*' } as CorsOptions }), /cors\.orign: unknown CORS option/);
    assert.throws(
      () => new EngineServer({ cors: { headers: ['x'] } as unknown as CorsOptions }),
      /cors\.headers.*use allowedHeaders/,
    );
    assert.throws(() => new EngineServer({ cors: { origin: 42 } as unknown as CorsOptions }), /cors\.origin: expected/);
    assert.doesNotThrow(() => new EngineServer({ cors: false }));
  });
});
