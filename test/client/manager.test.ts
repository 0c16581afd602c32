import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomSource } from '../../src/client/backoff.js';
import { TestManager, connectedSocket, engine, engines, onlineListeners } from './fake-engine.js';

/** A manager whose connection failed once, reconnecting with known draws under mocked timers. */
function failingManager(draw: number, options: ConstructorParameters<typeof TestManager>[1] = {}) {
  const manager = new TestManager('http://example.test', {
    reconnectionDelay: 100,
    reconnectionDelayMax: 1000,
    ...options,
  });
  manager[randomSource] = () => draw;
  const attempts: number[] = [];
  manager.on('reconnect_attempt', (attempt) => attempts.push(attempt));
  return { manager, attempts };
}

describe('Manager: reconnection', () => {
  test('full jitter: each delay is at most min(reconnectionDelayMax, reconnectionDelay·2ⁿ), and reaches it', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    // The largest draw gives each ceiling: the timer must fire exactly then, not a millisecond before.
    const { manager, attempts } = failingManager(0.999999);
    try {
      const delays: number[] = [];
      for (let n = 0; n < 6; n++) {
        const made = engines.length;
        engine().fail();
        let waited = 0;
        while (engines.length === made && waited < 5000) {
          t.mock.timers.tick(1);
          waited++;
        }
        delays.push(waited);
      }
      assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
      assert.deepEqual(attempts, [1, 2, 3, 4, 5, 6]);
    } finally {
      manager._close();
    }
  });

  test('full jitter: the smallest draw reconnects at once', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { manager, attempts } = failingManager(0);
    try {
      engine().fail();
      t.mock.timers.tick(0);
      assert.deepEqual(attempts, [1]);
    } finally {
      manager._close();
    }
  });

  test("an explicit randomizationFactor switches to socket.io-client's formula", (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    // Draw 0.25: the tenths digit (2) is even, so the delay moves down by 0.25 × 0.5 × 100 = 12.
    const { manager, attempts } = failingManager(0.25, { randomizationFactor: 0.5 });
    try {
      engine().fail();
      t.mock.timers.tick(87);
      assert.deepEqual(attempts, []);
      t.mock.timers.tick(1);
      assert.deepEqual(attempts, [1]);
    } finally {
      manager._close();
    }
  });

  test('the network coming back reconnects at once, counting from the first attempt', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { manager, attempts } = failingManager(0.999999, { reconnectionDelay: 1000, reconnectionDelayMax: 5000 });
    try {
      for (let n = 0; n < 3; n++) {
        engine().fail();
        t.mock.timers.tick(5000);
      }
      assert.deepEqual(attempts, [1, 2, 3]);
      engine().fail();
      assert.equal(onlineListeners.size, 1, 'listening while a reconnection waits');
      for (const listener of [...onlineListeners]) listener();
      assert.deepEqual(attempts, [1, 2, 3, 1]);
      assert.equal(onlineListeners.size, 0, 'no longer listening once the attempt started');
      engine().open();
      assert.equal(manager._reconnecting, false);
    } finally {
      manager._close();
    }
  });

  test('reconnect_failed after reconnectionAttempts, then no more attempts', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { manager, attempts } = failingManager(0, { reconnectionAttempts: 2 });
    let failed = 0;
    manager.on('reconnect_failed', () => failed++);
    try {
      for (let n = 0; n < 3; n++) {
        engine().fail();
        t.mock.timers.tick(0);
      }
      assert.deepEqual(attempts, [1, 2]);
      assert.equal(failed, 1);
      assert.equal(manager._reconnecting, false);
    } finally {
      manager._close();
    }
  });

  test('a lost connection reconnects; the socket sends CONNECT again and reports the reason', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { manager, socket, engine: first } = connectedSocket({ reconnection: true });
    manager[randomSource] = () => 0;
    try {
      const reasons: string[] = [];
      socket.on('disconnect', (reason) => reasons.push(reason));
      let reconnected = 0;
      manager.on('reconnect', () => reconnected++);
      first.drop('ping timeout');
      assert.deepEqual(reasons, ['ping timeout']);
      t.mock.timers.tick(0);
      engine().open();
      assert.equal(reconnected, 1);
      assert.deepEqual(engine().texts, ['0']);
      engine().receive('0{"sid":"s2"}');
      assert.equal(socket.id, 's2');
    } finally {
      manager._close();
    }
  });
});

describe('Manager: the order in which its events are heard', () => {
  test("listeners added before the first socket connects hear each event before the sockets react, as socket.io-client's", () => {
    const manager = new TestManager('http://example.test', { reconnection: false, autoConnect: false });
    const heard: string[] = [];
    try {
      manager.on('error', (error) => heard.push(`manager error: ${error.message}`));
      manager.on('close', (reason) => heard.push(`manager close: ${reason}`));
      const socket = manager.socket('/');
      socket.on('connect_error', (error) => heard.push(`socket connect_error: ${error.message}`));
      socket.on('disconnect', (reason) => heard.push(`socket disconnect: ${reason}`));
      // Added after the socket connected: heard after the sockets.
      socket.connect();
      manager.on('error', () => heard.push('later manager error'));
      engine().fail('refused');
      assert.deepEqual(heard, ['manager error: refused', 'socket connect_error: refused', 'later manager error']);
      heard.length = 0;
      socket.connect();
      engine().open();
      engine().receive('0{"sid":"s1"}');
      engine().drop('transport close');
      assert.deepEqual(heard, ['manager close: transport close', 'socket disconnect: transport close']);
    } finally {
      manager._close();
    }
  });
});

describe('Manager: what a server sends never throws into the application', () => {
  const fatal: [string, string | Uint8Array][] = [
    ['invalid JSON', '2["event"'],
    ['an unknown packet type', '9'],
    ['CONNECT_ERROR without data', '4'],
    ['an ACK without id', '3[]'],
    ['binary while no packet waits for it', new Uint8Array([1, 2])],
    ['a reserved event name', '2["disconnect"]'],
    ['an event name that is neither a string nor a number', '2[null]'],
    ['an ack id past the safe integers', '299999999999999999999["x"]'],
    ['an attachment count on a plain EVENT', '21-["x"]'],
    ['a BINARY_EVENT without attachment count', '5["x",{"_placeholder":true,"num":0}]'],
    ['a DISCONNECT with a payload', '1{}'],
  ];
  for (const [what, data] of fatal) {
    test(`${what}: the connection closes with 'parse error'`, () => {
      const { manager, socket, engine: session } = connectedSocket();
      try {
        const reasons: string[] = [];
        socket.on('disconnect', (reason) => reasons.push(reason));
        const closes: string[] = [];
        manager.on('close', (reason) => closes.push(reason));
        session.receive(data);
        assert.deepEqual(closes, ['parse error']);
        assert.deepEqual(reasons, ['parse error']);
        assert.equal(session.closed, true);
      } finally {
        manager._close();
      }
    });
  }

  const fatalSequences: [string, (string | Uint8Array)[]][] = [
    ['text while an attachment is due', ['51-["x",{"_placeholder":true,"num":0}]', '2["y"]']],
    ['a placeholder naming no attachment', ['51-["x",{"_placeholder":true,"num":1}]', new Uint8Array([1])]],
    [
      'an attachment never referenced',
      ['52-["x",{"_placeholder":true,"num":0}]', new Uint8Array([1]), new Uint8Array([2])],
    ],
  ];
  for (const [what, messages] of fatalSequences) {
    test(`${what}: the connection closes with 'parse error' naming the fault`, () => {
      const { manager, socket, engine: session } = connectedSocket();
      try {
        const closes: unknown[][] = [];
        manager.on('close', (...args) => closes.push(args));
        let events = 0;
        socket.onAny(() => events++);
        for (const message of messages) session.receive(message);
        assert.equal(closes.length, 1);
        assert.equal(closes[0]![0], 'parse error');
        assert.match((closes[0]![1] as Error).message, /^malformed packet: /);
        assert.equal(events, 0);
      } finally {
        manager._close();
      }
    });
  }

  test('a binary event gets its attachments in place of the placeholders, nested too', () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      const received: unknown[][] = [];
      socket.on('files', (...args: unknown[]) => received.push(args));
      session.receive('52-["files",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]]');
      assert.equal(received.length, 0, 'nothing before the last attachment');
      session.receive(new Uint8Array([1]));
      session.receive(new Uint8Array([2]));
      assert.deepEqual(received, [[{ a: new Uint8Array([2]) }, [new Uint8Array([1])]]]);
      session.receive('2["after"]');
      assert.equal(socket.connected, true);
    } finally {
      manager._close();
    }
  });

  const ignored: [string, string][] = [
    ['an ACK with an id nothing waits for', '399[1]'],
    ['an ACK for a namespace not joined', '3/other,0[1]'],
    ['an EVENT for a namespace not joined', '2/other,["x"]'],
    ['a DISCONNECT for a namespace not joined', '1/other,'],
  ];
  for (const [what, data] of ignored) {
    test(`${what}: ignored`, () => {
      const { manager, socket, engine: session } = connectedSocket();
      try {
        let answered = 0;
        socket.emit('question', () => answered++);
        session.receive(data);
        assert.equal(socket.connected, true);
        assert.equal(answered, 0);
        session.receive('30[]');
        assert.equal(answered, 1, 'the real answer still reaches its callback');
      } finally {
        manager._close();
      }
    });
  }

  test('a CONNECT reply without a session id is a connect_error', () => {
    const manager = new TestManager('http://example.test', { reconnection: false });
    const socket = manager.socket('/');
    try {
      const errors: Error[] = [];
      socket.on('connect_error', (error) => errors.push(error));
      engine().open();
      engine().receive('0{}');
      assert.equal(errors.length, 1);
      assert.equal(socket.connected, false);
    } finally {
      manager._close();
    }
  });

  test('a CONNECT_ERROR as a bare string (older servers) is a connect_error with that message', () => {
    const manager = new TestManager('http://example.test', { reconnection: false });
    const socket = manager.socket('/');
    try {
      const errors: Error[] = [];
      socket.on('connect_error', (error) => errors.push(error));
      engine().open();
      engine().receive('4"Invalid namespace"');
      assert.equal(errors[0]?.message, 'Invalid namespace');
      assert.equal(socket.active, false);
    } finally {
      manager._close();
    }
  });
});

describe('Manager: writing', () => {
  test('a Blob is read before it is encoded, and the emits after it keep their place', async () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      socket.emit('file', new Blob([new Uint8Array([7, 8, 9])]), 'name');
      socket.emit('after', 1);
      assert.deepEqual(session.sent, [], 'nothing overtakes the Blob');
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(session.sent.length, 3);
      assert.equal(session.sent[0], '51-["file",{"_placeholder":true,"num":0},"name"]');
      assert.deepEqual(session.sent[1], new Uint8Array([7, 8, 9]));
      assert.equal(session.sent[2], '2["after",1]');
    } finally {
      manager._close();
    }
  });

  test('compress(false) and volatile', () => {
    const { manager, socket, engine: session } = connectedSocket();
    try {
      socket.compress(false).emit('a');
      socket.volatile.emit('b');
      assert.deepEqual(session.texts, ['2["a"]', '2["b"]']);
      session.writable = false;
      socket.volatile.emit('c');
      assert.deepEqual(session.texts, ['2["a"]', '2["b"]'], 'a volatile emit that cannot go at once is dropped');
    } finally {
      manager._close();
    }
  });
});
