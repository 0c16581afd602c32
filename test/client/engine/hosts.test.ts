/**
 * The session on hosts that behave unlike Node's: a WebSocket constructor that throws (a browser's
 * SecurityError), binary frames handed over as `ArrayBuffer` or as `Blob`, a page's `beforeunload`,
 * and a `fetch` asked for credentials.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransportError } from '../../../src/client/engine/transport.js';
import type { ClientPlatform, WebSocketLike } from '../../../src/client/engine/types.js';
import { nodePlatform } from '../../../src/client-node/platform.js';
import { until } from '../../helpers/wait.js';
import { withServer } from '../../helpers/with-server.js';
import { openSession, record, sessionOptions, startEchoServer } from './helpers.js';

/** Node's platform whose WebSocket constructor throws `error`. */
function throwingWebSocket(error: Error): ClientPlatform {
  return {
    ...nodePlatform,
    createWebSocket() {
      throw error;
    },
  };
}

/** Node's platform with its WebSocket's `binaryType` set to `binaryType`, as a browser host might. */
function withBinaryType(binaryType: string): ClientPlatform {
  return {
    ...nodePlatform,
    createWebSocket(url, headers): WebSocketLike {
      const socket = nodePlatform.createWebSocket(url, headers);
      socket.binaryType = binaryType;
      return socket;
    },
  };
}

describe('a host whose WebSocket constructor throws', () => {
  it('WebSocket first: the session opens over polling instead, with no error', () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const platform = throwingWebSocket(new Error('SecurityError: insecure WebSocket from a secure page'));
        const { session, errors } = await openSession(sessionOptions(server.origin, { upgrade: false }), platform);
        try {
          assert.equal(session.transport.name, 'polling');
          assert.equal(session.writable, true);
          assert.deepEqual(errors, []);
        } finally {
          session.close();
        }
        assert.equal(session.writable, false);
      },
    ));

  it("WebSocket only: one 'websocket error' carrying what was thrown, then 'transport error'", () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const thrown = new Error('SecurityError');
        const { closed, errors } = record(
          sessionOptions(server.origin, { transports: ['websocket'] }),
          throwingWebSocket(thrown),
        );
        const [reason, description] = await closed();
        assert.equal(reason, 'transport error');
        assert.equal(errors.length, 1);
        assert.ok(errors[0] instanceof TransportError);
        assert.equal(errors[0].message, 'websocket error');
        assert.equal(errors[0].description, thrown);
        assert.equal(description, errors[0]);
      },
    ));

  it('closed in the same task it was made: only the forced close is reported', async () => {
    const { session, errors, closes } = record(
      sessionOptions('http://127.0.0.1:9', { transports: ['websocket'] }),
      throwingWebSocket(new Error('SecurityError')),
    );
    session.close();
    // The constructor's failure is reported on a microtask: let it run.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(closes, [['forced close', undefined]]);
    assert.deepEqual(errors, []);
  });
});

describe("a host's binary frames", () => {
  it('as ArrayBuffer (a browser with binaryType "arraybuffer"): delivered as bytes', () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const { session, messages, closes } = await openSession(
          sessionOptions(server.origin, { transports: ['websocket'] }),
          withBinaryType('arraybuffer'),
        );
        try {
          session.send(new Uint8Array([1, 2, 255]));
          await until(
            () => messages.length === 1,
            3000,
            () => 'the binary echo',
          );
          assert.deepEqual(messages, [Buffer.from([1, 2, 255])]);
          assert.deepEqual(closes, []);
        } finally {
          session.close();
        }
      },
    ));

  it("as Blob (a host left on binaryType 'blob'): 'parse error' naming the data, nothing delivered", () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const { session, messages, closed, errors } = await openSession(
          sessionOptions(server.origin, { transports: ['websocket'] }),
          withBinaryType('blob'),
        );
        session.send(new Uint8Array([1, 2, 255]));
        const [reason, description] = await closed();
        assert.equal(reason, 'parse error');
        assert.ok(description instanceof TransportError);
        assert.match(String(description.description), /unexpected message data: object/);
        assert.deepEqual(messages, []);
        assert.deepEqual(errors, []);
      },
    ));
});

describe("a page's beforeunload, with closeOnBeforeunload", () => {
  it('closes the session without a close event, and stops listening to the page', () =>
    withServer(
      () => startEchoServer('switchboard'),
      async (server) => {
        const unloadListeners = new Set<() => void>();
        const platform: ClientPlatform = {
          ...nodePlatform,
          onBeforeUnload(listener) {
            unloadListeners.add(listener);
            return () => unloadListeners.delete(listener);
          },
        };
        const { session, closes } = await openSession(
          sessionOptions(server.origin, { transports: ['websocket'], closeOnBeforeunload: true }),
          platform,
        );
        assert.equal(unloadListeners.size, 1);
        for (const listener of [...unloadListeners]) listener();
        assert.deepEqual(closes, []);
        assert.equal(session.writable, false);
        assert.equal(session.id, undefined);
        assert.equal(unloadListeners.size, 0);
      },
    ));

  it('without it, the session does not listen to the page at all', async () => {
    let listened = 0;
    const platform: ClientPlatform = {
      ...nodePlatform,
      onBeforeUnload() {
        listened++;
        return () => {};
      },
    };
    const { session } = record(sessionOptions('http://127.0.0.1:9', { transports: ['polling'] }), platform);
    session.close();
    assert.equal(listened, 0);
  });
});

describe('the credentials polling asks fetch for', () => {
  for (const [withCredentials, expected] of [
    [true, 'include'],
    [false, 'same-origin'],
  ] as const) {
    it(`withCredentials ${withCredentials}: every request asks for '${expected}'`, () =>
      withServer(
        () => startEchoServer('switchboard'),
        async (server) => {
          const asked: RequestInit['credentials'][] = [];
          const platform: ClientPlatform = {
            ...nodePlatform,
            fetch: (input, init) => {
              asked.push(init?.credentials);
              return fetch(input, init);
            },
          };
          const { session, messages } = await openSession(
            sessionOptions(server.origin, { transports: ['polling'], withCredentials }),
            platform,
          );
          try {
            session.send('hello');
            await until(
              () => messages.length === 1,
              3000,
              () => 'the echo',
            );
            assert.ok(asked.length >= 3, `${asked.length} requests`);
            assert.deepEqual(new Set(asked), new Set([expected]));
          } finally {
            session.close();
          }
        },
      ));
  }
});
