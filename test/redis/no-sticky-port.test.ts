/**
 * The engine's `sessionRelay` port, with an in-process relay between two engines of one process:
 * what a node does with a polling request for a session another node holds, before any Redis.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EngineServer,
  type EngineSocket,
  type RelayHandler,
  type RelayedRequest,
  type RelayedResponse,
  type SessionRelay,
} from '../../src/engine/index.js';
import { openPolling, rawRequest, startEngine, type EngineFixture } from '../engine/helpers.js';
import { refusedUpgrade } from '../helpers/raw-http.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';

/** Relays between engines of this process: each serves on a shared map, by node id. */
class InProcessRelay implements SessionRelay {
  /** The signals of the requests this relay forwarded. */
  readonly signals: AbortSignal[] = [];

  constructor(
    readonly nodeId: string,
    private readonly nodes: Map<string, RelayHandler>,
  ) {}

  serve(handler: RelayHandler): void {
    this.nodes.set(this.nodeId, handler);
  }

  forward(request: RelayedRequest, signal: AbortSignal): Promise<RelayedResponse | undefined> {
    this.signals.push(signal);
    const handler = this.nodes.get(request.sid.slice(0, request.sid.indexOf('.')));
    return handler === undefined ? Promise.resolve(undefined) : handler(request, signal);
  }

  close(): void {
    this.nodes.delete(this.nodeId);
  }
}

/** Runs `body` with two engines, `a` and `b`, relaying to each other; both are closed afterwards. */
async function withPair(
  options: { maxHttpBufferSize?: number; pingInterval?: number; pingTimeout?: number },
  body: (a: EngineFixture, b: EngineFixture) => Promise<void>,
): Promise<void> {
  const nodes = new Map<string, RelayHandler>();
  const a = await startEngine({ ...options, sessionRelay: new InProcessRelay('a', nodes) });
  const b = await startEngine({ ...options, sessionRelay: new InProcessRelay('b', nodes) }).catch(async (err) => {
    await a.close();
    throw err;
  });
  try {
    await body(a, b);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** Opens a polling session on `fixture` and returns its id and the server's side of it. */
async function openSession(fixture: EngineFixture): Promise<{ sid: string; socket: EngineSocket }> {
  const connection = fixture.nextConnection();
  const { sid } = await openPolling(fixture);
  return { sid, socket: await connection };
}

/** Checks a session's close: "transport error", for the reason a local request would give. */
function assertTransportError([reason, error]: [string, Error], cause: RegExp): void {
  assert.equal(reason, 'transport error');
  assert.match(error.message, cause);
}

describe('sessionRelay: requests for another node’s session', () => {
  test("session ids start with the relay's node id; a POST and a poll sent to another node reach the session", async () => {
    await withPair({}, async (a, b) => {
      const { sid, socket } = await openSession(a);
      assert.match(sid, /^a\.[\w-]{20}$/);
      const message = waitFor<[string]>(socket, 'message');
      const post = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`), {
        method: 'POST',
        body: '4hello',
      });
      assert.equal(post.status, 200);
      assert.equal(post.body, 'ok');
      assert.deepEqual(await message, ['hello']);

      const poll = rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`));
      await until(() => socket.transport.writable, 3000, 'the relayed poll to be held by the session');
      socket.send('world');
      socket.send(Buffer.from([1, 2, 3]));
      const answer = await poll;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, '4world\x1ebAQID');
      assert.equal(socket.readyState, 'open');
    });
  });

  test("a relayed poll is the session's one poll: a second one at the same time closes the session", async () => {
    await withPair({}, async (a, b) => {
      const { sid, socket } = await openSession(a);
      const closed = waitFor<[string, Error]>(socket, 'close');
      const held = rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`));
      await until(() => socket.transport.writable, 3000, 'the relayed poll to be held by the session');
      const second = await rawRequest(a.port, a.path(`EIO=4&transport=polling&sid=${sid}`));
      assert.equal(second.status, 400);
      assertTransportError(await closed, /overlap from client/);
      // The held poll carries the close packet, as a local one does.
      assert.equal((await held).body, '1');
    });
  });

  test('a POST over maxHttpBufferSize sent to another node is refused 413 and fails the session', async () => {
    await withPair({ maxHttpBufferSize: 100 }, async (a, b) => {
      const { sid, socket } = await openSession(a);
      const closed = waitFor<[string, Error]>(socket, 'close');
      const post = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`), {
        method: 'POST',
        body: '4' + 'x'.repeat(200),
      });
      assert.equal(post.status, 413);
      assertTransportError(await closed, /payload too large/);
    });
  });

  test('a chunked POST (no declared length) that grows past maxHttpBufferSize on another node is refused 413 too', async () => {
    await withPair({ maxHttpBufferSize: 100 }, async (a, b) => {
      const { sid, socket } = await openSession(a);
      const closed = waitFor<[string, Error]>(socket, 'close');
      const post = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`), {
        method: 'POST',
        headers: { 'Transfer-Encoding': 'chunked' },
        body: '4' + 'x'.repeat(200),
      });
      assert.equal(post.status, 413);
      assertTransportError(await closed, /payload too large/);
    });
  });

  test('a client that leaves its relayed poll fails the transport, as it does locally', async () => {
    await withPair({}, async (a, b) => {
      const { sid, socket } = await openSession(a);
      const closed = waitFor<[string, Error]>(socket, 'close');
      const controller = new AbortController();
      const poll = rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`), { signal: controller.signal });
      await until(() => socket.transport.writable, 3000, 'the relayed poll to be held by the session');
      controller.abort();
      await poll;
      assertTransportError(await closed, /poll connection closed prematurely/);
    });
  });

  test('a session whose node is gone, or of no node, is answered "Session ID unknown"; so is an upgrade for a remote one, by a relay without open', async () => {
    await withPair({}, async (a, b) => {
      const { sid } = await openSession(a);
      const upgrade = await refusedUpgrade(b.origin, b.path(`EIO=4&transport=websocket&sid=${sid}`));
      assert.equal(upgrade.status, 400);
      assert.deepEqual(JSON.parse(upgrade.body.toString()), { code: 1, message: 'Session ID unknown' });
      for (const unknown of ['c.nobody', 'no-node-id']) {
        const answer = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${unknown}`));
        assert.equal(answer.status, 400);
        assert.deepEqual(JSON.parse(answer.body), { code: 1, message: 'Session ID unknown' });
      }
      await a.close();
      const answer = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`));
      assert.equal(answer.status, 400);
      assert.deepEqual(JSON.parse(answer.body), { code: 1, message: 'Session ID unknown' });
    });
  });

  test('a relayed request whose holder never answers ends at its deadline (pingInterval + pingTimeout for a poll)', async () => {
    const hung: SessionRelay & { signals: AbortSignal[] } = {
      nodeId: 'b',
      signals: [],
      serve: () => undefined,
      close: () => undefined,
      forward(_request, signal) {
        this.signals.push(signal);
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined)));
      },
    };
    const fixture = await startEngine({ pingInterval: 150, pingTimeout: 150, sessionRelay: hung });
    try {
      const answer = await withTimeout(
        rawRequest(fixture.port, fixture.path('EIO=4&transport=polling&sid=a.hung')),
        'the relayed poll to end',
        3000,
      );
      assert.equal(answer.status, 400);
      assert.equal(hung.signals.length, 1);
      assert.equal(hung.signals[0]!.aborted, true);
    } finally {
      await fixture.close();
    }
  });

  test("a replaced generateId must keep the relay's prefix: an id without it refuses the handshake", async () => {
    const fixture = await startEngine({ sessionRelay: new InProcessRelay('a', new Map()) });
    const warned = waitFor<[Error]>(process, 'warning');
    try {
      fixture.engine.generateId = () => 'plain-id';
      const errors: unknown[] = [];
      fixture.engine.on('connection_error', (error) => errors.push(error.context));
      const answer = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'));
      assert.equal(answer.status, 400);
      assert.match(String((await warned)[0].message), /generateId must start session ids with "a\."/);
      assert.equal((errors[0] as { name: string }).name, 'ID_GENERATION_ERROR');
      fixture.engine.generateId = () => 'a.chosen';
      assert.equal((await openPolling(fixture)).sid, 'a.chosen');
    } finally {
      await fixture.close();
    }
  });

  test('the option is checked: a relay object, a node id without a dot, and the polling transport', () => {
    const relay = new InProcessRelay('a', new Map());
    assert.throws(() => new EngineServer({ sessionRelay: {} as SessionRelay }), /sessionRelay must be a session relay/);
    assert.throws(
      () => new EngineServer({ sessionRelay: new InProcessRelay('a.b', new Map()) }),
      /sessionRelay.nodeId must be a non-empty string without a dot/,
    );
    assert.throws(
      () => new EngineServer({ sessionRelay: relay, transports: ['websocket'] }),
      /sessionRelay: it relays polling requests/,
    );
  });

  test('without a relay, a request for a session of another engine is answered "Session ID unknown"', async () => {
    const a = await startEngine();
    const b = await startEngine();
    try {
      const { sid } = await openSession(a);
      const answer = await rawRequest(b.port, b.path(`EIO=4&transport=polling&sid=${sid}`));
      assert.equal(answer.status, 400);
      assert.deepEqual(JSON.parse(answer.body), { code: 1, message: 'Session ID unknown' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
