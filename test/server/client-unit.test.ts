import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import type { IncomingMessage } from 'node:http';
import { EngineServer, type PreparedMessage } from '../../src/engine/index.js';
import { Client, Server, type EngineConnection, type Socket } from '../../src/server/index.js';
import { sleep, until, waitFor } from '../helpers/wait.js';

/**
 * An in-process Engine.IO session for unit tests of the Socket.IO layer: records what the server
 * sends and lets the test play the client's messages.
 */
class FakeConnection extends EventEmitter implements EngineConnection {
  readonly sent: { data: string | Buffer; compress: boolean | undefined }[] = [];
  /** The prepared messages written, in order: a broadcast's recipients may share them. */
  readonly prepared: PreparedMessage[] = [];
  readonly protocol = 4;
  readonly transportName = 'websocket';
  readonly transport = { name: 'websocket', writable: true };
  readyState = 'open';
  writable = true;
  closeCalls = 0;
  readonly request = {
    url: '/socket.io/?EIO=4&transport=websocket&x=1',
    headers: { host: 'example', origin: 'https://app.example' },
    socket: { remoteAddress: '10.0.0.9', encrypted: true },
  } as unknown as IncomingMessage;

  constructor(readonly id: string) {
    super();
  }

  send(data: string | Buffer, options?: { compress?: boolean }): void {
    this.sent.push({ data, compress: options?.compress });
  }

  sendPrepared(message: PreparedMessage): void {
    this.prepared.push(message);
    this.send(message.packet.data as string | Buffer, { compress: message.compress });
  }

  close(): void {
    this.closeCalls++;
    this.readyState = 'closed';
    this.emit('close', 'forced close');
  }

  /** Plays a message from the client. */
  receive(...messages: (string | Buffer)[]): void {
    for (const message of messages) this.emit('message', message);
  }

  texts(): string[] {
    return this.sent.map((entry) => (typeof entry.data === 'string' ? entry.data : `<${entry.data.length} bytes>`));
  }
}

function setup(options = {}) {
  const io = new Server({ connectTimeout: 60, ...options });
  const connect = (id: string): FakeConnection => {
    const conn = new FakeConnection(id);
    new Client(io, conn);
    return conn;
  };
  return { io, connect };
}

describe('Client over an in-process engine connection', () => {
  test('CONNECT is answered with the sid; the handshake comes from the engine request', async () => {
    const { io, connect } = setup();
    const connection = waitFor<[Socket]>(io, 'connection');
    const conn = connect('e1');
    conn.receive('0{"token":"t"}');
    const [socket] = await connection;
    assert.deepEqual(conn.texts(), [`0{"sid":"${socket.id}"}`]);
    assert.deepEqual(socket.handshake.auth, { token: 't' });
    assert.equal(socket.handshake.address, '10.0.0.9');
    assert.equal(socket.handshake.secure, true);
    assert.equal(socket.handshake.xdomain, true);
    assert.equal(socket.handshake.query.x, '1');
    await io.close();
  });

  test('an unknown namespace gets CONNECT_ERROR "Invalid namespace" and the connection stays', async () => {
    const { io, connect } = setup();
    const conn = connect('e1');
    conn.receive('0/nope,');
    await sleep(5);
    assert.deepEqual(conn.texts(), ['4/nope,{"message":"Invalid namespace"}']);
    assert.equal(conn.closeCalls, 0);
    await io.close();
  });

  test('a binary event arrives whole once all attachments are in', async () => {
    const { io, connect } = setup();
    const connection = waitFor<[Socket]>(io, 'connection');
    const conn = connect('e1');
    conn.receive('0');
    const [socket] = await connection;
    const got = waitFor<[string, Buffer]>(socket, 'file');
    conn.receive('51-["file","name",{"_placeholder":true,"num":0}]', Buffer.from('data'));
    const [name, data] = await got;
    assert.equal(name, 'name');
    assert.equal(data.toString(), 'data');
    await io.close();
  });

  test('a broadcast is encoded once: every connection is handed the same Buffer objects', async () => {
    const { io, connect } = setup();
    const conns = ['a', 'b', 'c'].map((id) => connect(id));
    for (const conn of conns) conn.receive('0');
    await sleep(5);
    const payload = Buffer.from('shared');
    io.emit('file', { payload });
    const frames = conns.map((conn) => conn.sent.slice(-2));
    for (const [text, attachment] of frames) {
      assert.equal(text?.data, '51-["file",{"payload":{"_placeholder":true,"num":0}}]');
      assert.equal(attachment?.data, payload, 'the caller buffer itself, not a copy');
    }
    await io.close();
  });

  test('prepared messages follow the chunks: an adapter reusing one array for the next packet is not served stale frames', async () => {
    const { io, connect } = setup();
    const conns = ['a', 'b'].map((id) => connect(id));
    for (const conn of conns) conn.receive('0');
    await sleep(5);
    const sockets = [...io.of('/').sockets.values()];
    const chunks: string[] = ['2["first"]'];
    for (const socket of sockets) socket.deliver({ type: 2, nsp: '/', data: ['first'] }, chunks, {});
    chunks[0] = '2["second"]';
    for (const socket of sockets) socket.deliver({ type: 2, nsp: '/', data: ['second'] }, chunks, {});
    for (const conn of conns) assert.deepEqual(conn.texts().slice(1), ['2["first"]', '2["second"]']);
    await io.close();
  });

  test('two servers broadcasting in the same tick never share or mix frames', async () => {
    const first = setup();
    const second = setup();
    try {
      const [a1, b1, a2, b2] = [first.connect('a'), first.connect('b'), second.connect('a'), second.connect('b')];
      for (const conn of [a1, b1, a2, b2]) conn.receive('0');
      await sleep(5);
      // The two broadcasts interleave recipient by recipient, and even hand over one shared array.
      const chunks: string[] = ['2["same"]'];
      const firstSockets = [...first.io.of('/').sockets.values()];
      const secondSockets = [...second.io.of('/').sockets.values()];
      for (let i = 0; i < 2; i++) {
        for (const socket of [firstSockets[i], secondSockets[i]]) {
          socket?.deliver({ type: 2, nsp: '/', data: ['same'] }, chunks, {});
        }
      }
      first.io.emit('from', 'first');
      second.io.emit('from', 'second');
      const payloads = (conn: FakeConnection) => conn.prepared.map((message) => message.packet.data);
      assert.deepEqual(payloads(a1), ['2["same"]', '2["from","first"]']);
      assert.deepEqual(payloads(b1), ['2["same"]', '2["from","first"]']);
      assert.deepEqual(payloads(a2), ['2["same"]', '2["from","second"]']);
      assert.deepEqual(payloads(b2), ['2["same"]', '2["from","second"]']);
      for (let i = 0; i < 2; i++) {
        assert.equal(a1.prepared[i], b1.prepared[i], 'one server prepares a broadcast once for all its recipients');
        assert.equal(a2.prepared[i], b2.prepared[i], 'one server prepares a broadcast once for all its recipients');
        assert.notEqual(a1.prepared[i], a2.prepared[i], 'two servers never share a prepared message');
      }
    } finally {
      await Promise.all([first.io.close(), second.io.close()]);
    }
  });

  test('one server interleaving two broadcasts, and one sent with and without compression, prepares each once', async () => {
    const { io, connect } = setup();
    try {
      const [a, b] = [connect('a'), connect('b')];
      for (const conn of [a, b]) conn.receive('0');
      await until(() => io.of('/').sockets.size === 2, 3000, 'both sockets to connect');
      const first: string[] = ['2["first"]'];
      const second: string[] = ['2["second"]'];
      // Recipient by recipient, so no broadcast's recipients ask in a row.
      for (const socket of io.of('/').sockets.values()) {
        socket.deliver({ type: 2, nsp: '/', data: ['first'] }, first, {});
        socket.deliver({ type: 2, nsp: '/', data: ['second'] }, second, {});
        socket.deliver({ type: 2, nsp: '/', data: ['first'] }, first, { compress: false });
      }
      const payloads = (conn: FakeConnection) =>
        conn.prepared.map((message) => [message.packet.data, message.compress]);
      const expected = [
        ['2["first"]', true],
        ['2["second"]', true],
        ['2["first"]', false],
      ];
      assert.deepEqual(payloads(a), expected);
      assert.deepEqual(payloads(b), expected);
      for (let i = 0; i < expected.length; i++) {
        assert.equal(a.prepared[i], b.prepared[i], 'each broadcast is prepared once for all its recipients');
      }
    } finally {
      await io.close();
    }
  });

  test('an Engine.IO server serves one Socket.IO server: binding a second one throws', async () => {
    const engine = new EngineServer();
    const first = new Server().bind(engine);
    assert.equal(first.bind(engine), first, 'binding again to the same server is harmless');
    assert.throws(() => new Server().bind(engine), /already bound/);
    engine.close();
  });

  test('volatile packets are dropped while the engine cannot write; compress(false) reaches the engine', async () => {
    const { io, connect } = setup();
    const conn = connect('a');
    conn.receive('0');
    await sleep(5);
    conn.writable = false;
    io.volatile.emit('lossy', 1);
    io.emit('kept', 2);
    conn.writable = true;
    io.volatile.compress(false).emit('lossy', 3);
    assert.deepEqual(conn.texts().slice(1), ['2["kept",2]', '2["lossy",3]']);
    assert.deepEqual(
      conn.sent.slice(1).map((entry) => entry.compress),
      [true, false],
    );
    await io.close();
  });

  test('connectTimeout closes a connection that joins no namespace', async () => {
    const { io, connect } = setup();
    const idle = connect('idle');
    const active = connect('active');
    active.receive('0');
    await sleep(120);
    assert.equal(idle.closeCalls, 1);
    assert.equal(active.closeCalls, 0);
    await io.close();
  });

  test('a second CONNECT for a joined namespace closes the connection: "forced server close"', async () => {
    const { io, connect } = setup();
    const connection = waitFor<[Socket]>(io, 'connection');
    const conn = connect('a');
    conn.receive('0');
    const [socket] = await connection;
    const reason = waitFor<[string]>(socket, 'disconnect');
    conn.receive('0');
    assert.equal((await reason)[0], 'forced server close');
    assert.equal(conn.closeCalls, 1);
    await io.close();
  });

  test('a DISCONNECT for a namespace never joined is ignored', async () => {
    const { io, connect } = setup();
    const conn = connect('a');
    conn.receive('0', '1/other,');
    await sleep(5);
    assert.equal(conn.closeCalls, 0);
    await io.close();
  });
});
