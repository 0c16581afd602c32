import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { Server as OfficialServer } from 'socket.io';
import { Server as SwitchboardServer } from '../../src/server/index.js';
import type { RunningLoad } from '../../bench/load/running-load.js';
import type { BenchServer } from '../../bench/server/bench-server.js';
import { ClientAckRun, ClientEmitRun } from '../../bench/socketio/client-loads.js';
import { SocketIoImplId } from '../../bench/socketio/implementations.js';
import { CHAT_MESSAGE } from '../../bench/socketio/payload.js';
import { RawSocketIoConnection } from '../../bench/socketio/raw-connection.js';
import { ackIdOf, eventFrame, isEvent } from '../../bench/socketio/raw-frames.js';
import { RawAckRun, RawEmitRun, RawFanOutRun, RawIdleRun } from '../../bench/socketio/raw-loads.js';
import { startSocketIoServer } from '../../bench/socketio/servers.js';
import { shares } from '../../bench/socketio/harness.js';
import { sleep, until } from '../helpers/wait.js';

/** Unmasks a client frame with a 7-bit length and returns its opcode and payload text. */
function readClientFrame(frame: Buffer): { fin: boolean; opcode: number; masked: boolean; text: string } {
  let length = frame[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    at = 4;
  }
  const key = frame.subarray(at, at + 4);
  const payload = Buffer.from(frame.subarray(at + 4, at + 4 + length));
  for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
  assert.equal(at + 4 + length, frame.length, 'one whole frame');
  return {
    fin: (frame[0]! & 0x80) !== 0,
    opcode: frame[0]! & 0x0f,
    masked: (frame[1]! & 0x80) !== 0,
    text: payload.toString('utf8'),
  };
}

describe('raw Socket.IO frames', () => {
  it('encodes events as masked text frames holding an Engine.IO message with a Socket.IO EVENT', () => {
    const plain = readClientFrame(eventFrame('echo', CHAT_MESSAGE));
    assert.deepEqual(
      { fin: plain.fin, opcode: plain.opcode, masked: plain.masked },
      { fin: true, opcode: 1, masked: true },
    );
    assert.equal(plain.text, `42${JSON.stringify(['echo', CHAT_MESSAGE])}`);
    assert.equal(
      readClientFrame(eventFrame('ack', CHAT_MESSAGE, 1234)).text,
      `421234${JSON.stringify(['ack', CHAT_MESSAGE])}`,
    );
  });

  it('reads the ack id of ACK packets only', () => {
    const bytes = (text: string, length = 7): Uint8Array => {
      const out = new Uint8Array(length);
      out.set(Buffer.from(text).subarray(0, length));
      return out;
    };
    assert.equal(ackIdOf(bytes('431000[{"a":1}]')), 1000);
    assert.equal(ackIdOf(bytes('437[1]')), 7);
    assert.equal(ackIdOf(bytes('43["x"]')), -1, 'an ACK without id is not ours');
    assert.equal(ackIdOf(bytes('421000["ack"]')), -1, 'an EVENT is not an ACK');
    assert.equal(ackIdOf(bytes('2')), -1, 'a ping is not an ACK');
    assert.equal(isEvent(bytes('42["echo"]')), true);
    assert.equal(isEvent(bytes('43[1]')), false);
  });

  it('splits clients over generator processes', () => {
    assert.deepEqual(shares(100, 2), [50, 50]);
    assert.deepEqual(shares(5, 3), [2, 2, 1]);
    assert.deepEqual(shares(1, 3), [1]);
  });
});

/** Runs `load` until it has counted `atLeast`, then stops it and checks the server let every client go. */
async function exercise(server: BenchServer, load: RunningLoad, atLeast: number, what: string): Promise<number> {
  load.go();
  await until(() => load.sample(false).count >= atLeast, 5000, what);
  const result = load.stop();
  assert.equal(result.errors, 0, `${what}: socket errors`);
  await until(() => server.connections() === 0, 5000, `${what}: the server to see every client go`);
  return result.latency.count;
}

for (const id of [SocketIoImplId.Switchboard, SocketIoImplId.Official]) {
  describe(`Socket.IO benchmark loads against ${id}`, () => {
    it('raw frames: echoes, acknowledgements, broadcasts and idle clients all make progress', async () => {
      const server = await startSocketIoServer(id, 'websocket');
      try {
        const emit = await RawEmitRun.start({
          kind: 'emit',
          driver: 'raw',
          port: server.port,
          connections: 3,
          window: 4,
        });
        assert.equal(server.connections(), 3);
        await exercise(server, emit, 300, 'echoes');

        const ack = await RawAckRun.start({
          kind: 'ack',
          driver: 'raw',
          port: server.port,
          connections: 2,
          window: 3,
          transport: 'websocket',
        });
        assert.ok((await exercise(server, ack, 300, 'acknowledgements')) >= 300, 'every acknowledgement is timed');

        const fanOut = await RawFanOutRun.start({
          kind: 'fan-out',
          driver: 'raw',
          port: server.port,
          clients: 5,
          window: 3,
          concurrency: 5,
        });
        assert.equal(fanOut.sample(false).count, 0, 'nothing is published before go()');
        assert.ok((await exercise(server, fanOut, 50, 'broadcast deliveries')) >= 50, 'every delivery is timed');

        const idle = await RawIdleRun.start({
          kind: 'idle-clients',
          driver: 'raw',
          port: server.port,
          connections: 20,
          localAddress: '127.0.0.1',
          concurrency: 8,
        });
        assert.equal(idle.sample(false).count, 20);
        assert.equal(server.connections(), 20);
        idle.stop();
        await until(() => server.connections() === 0, 5000, 'idle clients to go');
      } finally {
        await server.close();
      }
    });

    it('socket.io-client: echoes and acknowledgements over WebSocket and over long-polling', async () => {
      const server = await startSocketIoServer(id, 'polling,websocket');
      try {
        const emit = await ClientEmitRun.start({
          kind: 'emit',
          driver: 'client',
          port: server.port,
          connections: 2,
          window: 4,
        });
        await exercise(server, emit, 200, 'client echoes');
        const ack = await ClientAckRun.start({
          kind: 'ack',
          driver: 'client',
          port: server.port,
          connections: 2,
          window: 2,
          transport: 'websocket',
        });
        assert.ok((await exercise(server, ack, 200, 'client acknowledgements')) >= 200);
        const polling = await ClientAckRun.start({
          kind: 'ack',
          driver: 'client',
          port: server.port,
          connections: 1,
          window: 1,
          transport: 'polling',
        });
        assert.ok((await exercise(server, polling, 5, 'polling acknowledgements')) >= 5);
      } finally {
        await server.close();
      }
    });
  });
}

describe('raw Socket.IO connection', () => {
  const quickHeartbeat = { transports: ['websocket' as const], pingInterval: 40, pingTimeout: 60 };

  for (const [name, start] of [
    ['switchboard/server', (http: ReturnType<typeof createServer>) => new SwitchboardServer(http, quickHeartbeat)],
    [
      'socket.io',
      (http: ReturnType<typeof createServer>) => new OfficialServer(http, { ...quickHeartbeat, serveClient: false }),
    ],
  ] as const) {
    it(`answers heartbeats, so ${name} keeps an idle client past several ping timeouts`, async () => {
      const http = createServer();
      const io = start(http);
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const address = http.address();
      assert.ok(address !== null && typeof address === 'object');
      const connection = await RawSocketIoConnection.open({ port: address.port, timeoutMs: 5000, prefixLength: 2 });
      try {
        assert.equal(io.sockets.sockets.size, 1);
        const framesAtStart = connection.frames;
        await sleep(400);
        assert.ok(connection.frames - framesAtStart >= 3, 'the server pinged several times');
        assert.equal(io.sockets.sockets.size, 1, 'the client is still connected');
        assert.equal(connection.socket.destroyed, false);
      } finally {
        connection.socket.destroy();
        await io.close();
      }
    });
  }
});
