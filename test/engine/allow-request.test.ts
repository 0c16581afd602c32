/**
 * `allowRequest(req, callback)` as Engine.IO has it: `callback(err, success)` at once or later;
 * every way of saying no (a false success, a throw, a rejection, an answer by return value)
 * refuses the handshake with 403, over polling and WebSocket alike, and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllowRequest } from '../../src/engine/index.js';
import { RawClient } from '../helpers/ws-peers.js';
import { rawRequest, withEngine, type EngineFixture } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

const HANDSHAKE = 'EIO=4&transport=polling';

/** A polling handshake whose `x-verdict` header tells the hook what to answer. */
function handshake(fixture: EngineFixture, verdict: string): ReturnType<typeof rawRequest> {
  return rawRequest(fixture.port, fixture.path(HANDSHAKE), { headers: { 'x-verdict': verdict } });
}

describe('allowRequest(req, callback)', () => {
  it('a synchronous callback allows or refuses; its first argument becomes the message', async () => {
    await withEngine(
      {
        allowRequest: (req, callback) => {
          const verdict = req.headers['x-verdict'];
          if (verdict === 'yes') callback(null, true);
          else if (verdict === 'why') callback('not on the list', false);
          else callback(null, false);
        },
      },
      async (fixture, errors) => {
        const allowed = await handshake(fixture, 'yes');
        assert.equal(allowed.status, 200);
        assert.ok(allowed.body.startsWith('0{'));
        const plain = await handshake(fixture, 'no');
        assert.equal(plain.status, 403);
        assert.deepEqual(JSON.parse(plain.body), { code: 4, message: 'Forbidden' });
        const explained = await handshake(fixture, 'why');
        assert.equal(explained.status, 403);
        assert.deepEqual(JSON.parse(explained.body), { code: 4, message: 'not on the list' });
        assert.deepEqual(
          errors.map((error) => [error.code, error.message, error.context['message']]),
          [
            [4, 'Forbidden', undefined],
            [4, 'Forbidden', 'not on the list'],
          ],
        );
      },
    );
  });

  it('an asynchronous denial refuses the handshake (and an asynchronous approval lets it in)', async () => {
    await withEngine(
      {
        allowRequest: (req, callback) => {
          setTimeout(() => callback(null, req.headers['x-verdict'] === 'yes'), 20);
        },
      },
      async (fixture) => {
        assert.equal((await handshake(fixture, 'no')).status, 403);
        assert.equal(fixture.engine.clientsCount, 0);
        assert.equal((await handshake(fixture, 'yes')).status, 200);
        assert.equal(fixture.engine.clientsCount, 1);
      },
    );
  });

  it('an async function that awaits, then calls back, is heard; a second call is ignored', async () => {
    await withEngine(
      {
        allowRequest: async (req, callback) => {
          await sleep(5);
          callback(null, req.headers['x-verdict'] === 'yes');
          callback(null, true);
        },
      },
      async (fixture) => {
        assert.equal((await handshake(fixture, 'no')).status, 403);
        assert.equal((await handshake(fixture, 'yes')).status, 200);
      },
    );
  });

  it('a hook that throws or rejects refuses with its message, without crashing the server', async () => {
    await withEngine(
      {
        allowRequest: async (req, callback) => {
          if (req.headers['x-verdict'] === 'throw') throw new Error('database down');
          await Promise.resolve();
          callback(null, true);
        },
      },
      async (fixture, errors) => {
        const refused = await handshake(fixture, 'throw');
        assert.equal(refused.status, 403);
        assert.deepEqual(JSON.parse(refused.body), { code: 4, message: 'database down' });
        assert.equal((errors[0]!.context['error'] as Error).message, 'database down');
        assert.equal((await handshake(fixture, 'fine')).status, 200);
      },
    );
    await withEngine(
      {
        allowRequest: (req, callback) => {
          if (req.headers['x-verdict'] === 'throw') throw new Error('sync failure');
          callback(null, true);
        },
      },
      async (fixture) => {
        assert.equal((await handshake(fixture, 'throw')).status, 403);
        assert.equal((await handshake(fixture, 'fine')).status, 200);
      },
    );
  });

  it('a rejection with a value that cannot become a string refuses too, without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await withEngine(
        {
          allowRequest: async () => {
            throw Object.create(null);
          },
        },
        async (fixture, errors) => {
          const refused = await handshake(fixture, 'any');
          assert.equal(refused.status, 403);
          assert.deepEqual(JSON.parse(refused.body), { code: 4, message: 'non-error thrown: [object Object]' });
          assert.equal(errors.length, 1);
        },
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a verdict returned instead of called back is refused and the developer is told, once', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const returnsVerdict = ((req: { headers: Record<string, unknown> }) =>
        req.headers['x-verdict'] === 'yes') as unknown as AllowRequest;
      await withEngine({ allowRequest: returnsVerdict }, async (fixture, errors) => {
        // Even `true` is refused: a `false` must never pass for an approval.
        assert.equal((await handshake(fixture, 'yes')).status, 403);
        assert.deepEqual(JSON.parse((await handshake(fixture, 'no')).body), { code: 4, message: 'Forbidden' });
        assert.match(
          String(errors[0]!.context['error']),
          /allowRequest returned true instead of answering through its callback: write it as \(req, callback\)/,
        );
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(warnings.filter((warning) => /allowRequest returned/.test(warning.message)).length, 1);
      });
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('finds the parsed query in req._query, as the reference server puts it there', async () => {
    const seen: unknown[] = [];
    await withEngine(
      {
        allowRequest: (req, callback) => {
          seen.push((req as typeof req & { _query?: unknown })._query);
          callback(null, true);
        },
      },
      async (fixture) => {
        assert.equal((await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling&token=abc'))).status, 200);
      },
    );
    assert.deepEqual(seen, [{ EIO: '4', transport: 'polling', token: 'abc' }]);
  });

  it('refuses a WebSocket handshake too, on the raw socket', async () => {
    await withEngine(
      {
        allowRequest: (req, callback) => setTimeout(() => callback(null, req.headers['x-verdict'] === 'yes'), 5),
      },
      async (fixture) => {
        const refused = await RawClient.open(
          fixture.port,
          fixture.path('EIO=4&transport=websocket'),
          'x-verdict: no\r\n',
        );
        assert.equal(refused.status, 403);
        refused.socket.destroy();
        const connection = waitFor(fixture.engine, 'connection');
        const allowed = await RawClient.open(
          fixture.port,
          fixture.path('EIO=4&transport=websocket'),
          'x-verdict: yes\r\n',
        );
        assert.equal(allowed.status, 101);
        await connection;
        allowed.socket.destroy();
      },
    );
  });
});
