/**
 * The engine's side of a relayed WebSocket upgrade, through the `sessionRelay` port with relays
 * written here (no Redis): how the receiving node answers what the relay's `open` resolves with,
 * and how it closes a stream whose WebSocket never came to be.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EngineServer,
  type EngineServerOptions,
  type RelayedRefusal,
  type RelayedStream,
  type RelayedStreamListener,
  type SessionRelay,
} from '../../src/engine/index.js';
import { RawWebSocket, startEngine, type EngineFixture } from '../engine/helpers.js';
import { rawRequest, refusedUpgrade } from '../helpers/raw-http.js';
import { until, withTimeout } from '../helpers/wait.js';

type Opening = RelayedStream | RelayedRefusal | undefined;

/** A relay of node `b` whose `open` answers with `answer`; it relays no polling request. */
function streamRelay(answer: (sid: string, signal: AbortSignal) => Promise<Opening>): SessionRelay {
  return {
    nodeId: 'b',
    serve: () => undefined,
    forward: () => Promise.resolve(undefined),
    close: () => undefined,
    open: answer,
  };
}

/**
 * A stream that records what was sent and how it was closed; `onListener` runs once the engine
 * listens; `send` answers `accepting`.
 */
class RecordingStream implements RelayedStream {
  readonly closes: (string | undefined)[] = [];
  readonly sent: (string | Uint8Array)[] = [];
  accepting = true;
  private heard: RelayedStreamListener | undefined;

  constructor(private readonly onListener: (listener: RelayedStreamListener) => void = () => undefined) {}

  get listener(): RelayedStreamListener | undefined {
    return this.heard;
  }

  set listener(listener: RelayedStreamListener | undefined) {
    this.heard = listener;
    if (listener !== undefined) this.onListener(listener);
  }

  send(message: string | Uint8Array): boolean {
    this.sent.push(message);
    return this.accepting;
  }

  reportCongestion(): void {}

  close(error?: string): void {
    this.closes.push(error);
  }
}

async function withEngine(
  options: EngineServerOptions,
  body: (fixture: EngineFixture, contexts: Record<string, unknown>[]) => Promise<void>,
): Promise<void> {
  const fixture = await startEngine(options);
  const contexts: Record<string, unknown>[] = [];
  fixture.engine.on('connection_error', (error) => contexts.push({ code: error.code, ...error.context }));
  try {
    await body(fixture, contexts);
  } finally {
    await fixture.close();
  }
}

const TARGET = 'EIO=4&transport=websocket&sid=a.remote';

describe('sessionRelay with open: upgrades for another node’s session', () => {
  test('the holder’s refusal is answered as a local one; an unknown code is "Bad request"', async () => {
    const answers: Opening[] = [{ code: 3, name: 'TRANSPORT_UPGRADE_ERROR' }, { code: 1 }, { code: 99 }];
    const relay = streamRelay(() => Promise.resolve(answers.shift()));
    await withEngine({ sessionRelay: relay }, async (fixture, contexts) => {
      const bodies: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await refusedUpgrade(fixture.origin, fixture.path(TARGET));
        assert.equal(answer.status, 400);
        bodies.push(JSON.parse(answer.body.toString()));
      }
      assert.deepEqual(bodies, [
        { code: 3, message: 'Bad request' },
        { code: 1, message: 'Session ID unknown' },
        { code: 3, message: 'Bad request' },
      ]);
      assert.deepEqual(contexts, [
        { code: 3, sid: 'a.remote', relayed: true, name: 'TRANSPORT_UPGRADE_ERROR' },
        { code: 1, sid: 'a.remote', relayed: true },
        { code: 3, sid: 'a.remote', relayed: true },
      ]);
    });
  });

  test('a relay that fails, or does not answer within pingTimeout, leaves "Session ID unknown"', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const relay = streamRelay((_sid, signal) => {
      if (calls++ === 0) return Promise.reject(new Error('relay broke'));
      signals.push(signal);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined)));
    });
    await withEngine({ sessionRelay: relay, pingTimeout: 100 }, async (fixture) => {
      for (let i = 0; i < 2; i++) {
        const answer = await refusedUpgrade(fixture.origin, fixture.path(TARGET));
        assert.deepEqual(JSON.parse(answer.body.toString()), { code: 1, message: 'Session ID unknown' });
      }
      assert.equal(signals.length, 1);
      assert.equal(signals[0]!.aborted, true);
    });
  });

  test('a stream that closes before the handshake completes closes the client’s WebSocket', async () => {
    const relay = streamRelay(() => Promise.resolve(new RecordingStream((listener) => listener.onClose())));
    const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    await withEngine({ sessionRelay: relay }, async (fixture) => {
      const before = timers();
      const client = await RawWebSocket.connect(`ws://127.0.0.1:${fixture.port}${fixture.path(TARGET)}`);
      await client.closed;
      // The relay's silence timer went with the stream, though the stream closed as its listener was set.
      await until(
        () => timers() <= before,
        3000,
        () => `the timers to go, ${timers()} left of ${before}`,
      );
    });
  });

  test('a stream that fails closes the client’s WebSocket with 1011 and its reason, cut to what a close frame holds', async () => {
    let heard: RelayedStreamListener | undefined;
    const relay = streamRelay(() => Promise.resolve(new RecordingStream((listener) => (heard = listener))));
    await withEngine({ sessionRelay: relay }, async (fixture) => {
      const client = await RawWebSocket.connect(`ws://127.0.0.1:${fixture.port}${fixture.path(TARGET)}`);
      // 124 bytes: the last character, two bytes long, no longer fits in the 123 of a close reason.
      heard!.onClose(`${'x'.repeat(122)}é`);
      assert.deepEqual(await client.closed, [1011, 'x'.repeat(122)]);
    });
  });

  test('a relay that falls behind stops the reading of the client’s WebSocket until it drains', async () => {
    const stream = new RecordingStream();
    stream.accepting = false;
    const relay = streamRelay(() => Promise.resolve(stream));
    await withEngine({ sessionRelay: relay }, async (fixture) => {
      const client = await RawWebSocket.connect(`ws://127.0.0.1:${fixture.port}${fixture.path(TARGET)}`);
      client.send('2probe');
      await until(() => stream.sent.length === 1, 3000, 'the first message');
      client.send('4second');
      client.send('4third');
      // Nothing more is read until the relay drains (absence can only be sampled: a short wait).
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(stream.sent, ['2probe']);
      stream.accepting = true;
      stream.listener!.onDrain!();
      await until(() => stream.sent.length === 3, 3000, 'the messages read after the drain');
      assert.deepEqual(stream.sent, ['2probe', '4second', '4third']);
      client.close();
    });
  });

  test('a handshake that does not complete closes the stream: an invalid one, or a client that left meanwhile', async () => {
    const streams: RecordingStream[] = [];
    let leaving: (() => void) | undefined;
    const relay = streamRelay((_sid, signal) => {
      const stream = new RecordingStream();
      streams.push(stream);
      if (leaving === undefined) return Promise.resolve(stream);
      // Adopted just as the client gave up: the engine must close it.
      leaving();
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(stream)));
    });
    // The client's leaving is seen at the latest at the deadline of the opening (pingTimeout).
    await withEngine({ sessionRelay: relay, pingTimeout: 200 }, async (fixture) => {
      const invalid = await refusedUpgrade(fixture.origin, fixture.path(TARGET), { 'Sec-WebSocket-Version': '12' });
      assert.notEqual(invalid.status, 101);
      await until(() => streams[0]?.closes.length === 1, 3000, 'the stream to close');
      assert.deepEqual(streams[0]!.closes, ['the WebSocket handshake did not complete']);

      let left!: () => void;
      const gone = new Promise<void>((resolve) => (left = resolve));
      leaving = left;
      const request = rawRequest(fixture.origin, fixture.path(TARGET), {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version': '13',
        },
        timeoutMs: 100,
      });
      await gone;
      await assert.rejects(request, /no response/);
      await withTimeout(
        until(() => streams[1]?.closes.length === 1, 3000, 'the second stream to close'),
        'the stream of a client that left to close',
      );
    });
  });

  test('the option is checked: open, when present, is a function', () => {
    const relay = { ...streamRelay(() => Promise.resolve(undefined)), open: 'yes' } as unknown as SessionRelay;
    assert.throws(() => new EngineServer({ sessionRelay: relay }), /sessionRelay.open must be a function/);
  });
});
