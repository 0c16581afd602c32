/**
 * Interoperability with the official `engine.io-client` (the one Socket.IO clients run on):
 * polling only, WebSocket only and polling upgraded to WebSocket, text and binary both ways, no
 * packet lost or reordered across an upgrade, heartbeats, and no leaks once clients leave.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket as NetSocket } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Socket as ClientSocket } from 'engine.io-client';
import type { EngineSocket } from '../../src/engine/index.js';
import { startEngine, type EngineFixture } from './helpers.js';
import { until, waitFor } from '../helpers/wait.js';

type Transports = ('polling' | 'websocket')[];

const MODES: { name: string; transports: Transports; final: string }[] = [
  { name: 'polling only', transports: ['polling'], final: 'polling' },
  { name: 'WebSocket only', transports: ['websocket'], final: 'websocket' },
  { name: 'polling upgraded to WebSocket', transports: ['polling', 'websocket'], final: 'websocket' },
];

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`not binary: ${typeof data}`);
}

async function openClient(
  fixture: EngineFixture,
  transports: Transports,
): Promise<{ client: ClientSocket; socket: EngineSocket }> {
  const connection = fixture.nextConnection();
  const client = new ClientSocket(fixture.origin, { transports });
  await waitFor(client, 'open');
  const socket = await connection;
  if (transports.length === 2 && socket.transportName !== 'websocket') await waitFor(socket, 'upgrade');
  return { client, socket };
}

describe('engine.io-client interop', () => {
  let fixture: EngineFixture;

  before(async () => {
    fixture = await startEngine({ pingInterval: 100, pingTimeout: 1500 });
  });
  after(() => fixture.close());

  for (const mode of MODES) {
    it(`${mode.name}: text and binary both ways`, async () => {
      const { client, socket } = await openClient(fixture, mode.transports);
      assert.equal(socket.transportName, mode.final);
      assert.equal(client.transport.name, mode.final);
      assert.equal(client.id, socket.id);

      const atServer: (string | Buffer)[] = [];
      socket.on('message', (data) => {
        atServer.push(data);
        socket.send(data);
      });
      const atClient: unknown[] = [];
      client.on('message', (data) => atClient.push(data));
      const sent = [
        'hello',
        Buffer.from([0, 1, 2, 253, 254, 255]),
        '€ and 🎉',
        '',
        Buffer.alloc(0),
        'x'.repeat(20_000),
      ];
      for (const data of sent) client.send(data);
      await until(() => atClient.length >= sent.length, 10_000, `${sent.length} echoes`);

      assert.equal(atServer.length, sent.length);
      assert.equal(atClient.length, sent.length);
      sent.forEach((data, i) => {
        if (typeof data === 'string') {
          assert.equal(atServer[i], data);
          // The official client reports an empty text message as `undefined`.
          assert.equal(atClient[i] ?? '', data);
        } else {
          assert.ok(Buffer.isBuffer(atServer[i]));
          assert.deepEqual(atServer[i], data);
          assert.deepEqual(toBuffer(atClient[i]), data);
        }
      });

      const closed = waitFor<[string]>(socket, 'close');
      client.close();
      assert.equal((await closed)[0], 'transport close');
    });
  }

  it('keeps the session alive over many heartbeats', async () => {
    for (const mode of MODES) {
      const { client, socket } = await openClient(fixture, mode.transports);
      let heartbeats = 0;
      socket.on('heartbeat', () => heartbeats++);
      await until(() => heartbeats >= 5 || socket.readyState !== 'open', 5000, `${mode.name}: five heartbeats`);
      assert.equal(socket.readyState, 'open', mode.name);
      client.close();
    }
  });

  it('upgrades without losing or reordering a packet either way', async () => {
    const total = 300;
    const connection = fixture.nextConnection();
    const client = new ClientSocket(fixture.origin, { transports: ['polling', 'websocket'] });
    const socket = await connection;

    // Both sides send a numbered stream that spans the whole upgrade: some at once, some on each
    // upgrade event, the rest on a timer.
    let serverNext = 0;
    const serverSend = (count: number): void => {
      for (let i = 0; i < count && serverNext < total; i++) socket.send(`s${serverNext++}`);
    };
    let clientNext = 0;
    const clientSend = (count: number): void => {
      for (let i = 0; i < count && clientNext < total; i++) client.send(`c${clientNext++}`);
    };
    const atServer: string[] = [];
    const atClient: string[] = [];
    socket.on('message', (data) => atServer.push(String(data)));
    client.on('message', (data) => atClient.push(String(data)));
    serverSend(40);
    socket.on('upgrading', () => serverSend(40));
    socket.on('upgrade', () => serverSend(40));
    client.on('open', () => clientSend(40));
    client.on('upgrading', () => clientSend(40));
    client.on('upgrade', () => clientSend(40));
    const timer = setInterval(() => {
      serverSend(3);
      if (client.readyState === 'open') clientSend(3);
    }, 2);
    try {
      await until(() => atServer.length >= total && atClient.length >= total, 15_000, 'both streams');
    } finally {
      clearInterval(timer);
    }
    assert.equal(socket.transportName, 'websocket');
    assert.deepEqual(
      atServer,
      Array.from({ length: total }, (_, i) => `c${i}`),
    );
    assert.deepEqual(
      atClient,
      Array.from({ length: total }, (_, i) => `s${i}`),
    );
    client.close();
  });

  it('closes a session whose client stops answering (network partition) with "ping timeout"', async () => {
    const partitioned = await startEngine({ pingInterval: 100, pingTimeout: 300 });
    try {
      for (const mode of MODES) {
        const proxy = await startFreezableProxy(partitioned.port);
        try {
          const connection = partitioned.nextConnection();
          const client = new ClientSocket(`http://127.0.0.1:${proxy.port}`, { transports: mode.transports });
          client.on('error', () => {});
          const socket = await connection;
          await waitFor(client, 'open');
          if (mode.transports.length === 2 && socket.transportName !== 'websocket') await waitFor(socket, 'upgrade');
          const closed = waitFor<[string]>(socket, 'close', 2000);
          proxy.freeze();
          assert.equal((await closed)[0], 'ping timeout', mode.name);
          assert.equal(partitioned.engine.clients.has(socket.id), false);
          client.close();
        } finally {
          await proxy.close();
        }
      }
    } finally {
      await partitioned.close();
    }
  });

  it('server-side close reaches the client: socket.close() and engine.close()', async () => {
    const { client, socket } = await openClient(fixture, ['websocket']);
    const clientClosed = waitFor(client, 'close');
    socket.close();
    assert.equal((await clientClosed)[0], 'transport close');

    const polling = await openClient(fixture, ['polling']);
    const pollingClosed = waitFor(polling.client, 'close');
    polling.socket.close();
    assert.equal((await pollingClosed)[0], 'transport close');
  });
});

describe('permessage-deflate', () => {
  it('negotiates compression with the official client and carries text and binary through it', async () => {
    const fixture = await startEngine({ perMessageDeflate: { threshold: 0 } });
    try {
      const { client, socket } = await openClient(fixture, ['websocket']);
      const ws = (client.transport as unknown as { ws: { extensions: string } }).ws;
      assert.match(ws.extensions, /permessage-deflate/);
      socket.on('message', (data) => socket.send(data));
      const atClient: unknown[] = [];
      client.on('message', (data) => atClient.push(data));
      const text = 'compressible '.repeat(5000);
      const bytes = Buffer.alloc(10_000, 7);
      client.send(text);
      client.send(bytes);
      await until(() => atClient.length >= 2, 10_000, 'two echoes');
      assert.equal(atClient[0], text);
      assert.deepEqual(toBuffer(atClient[1]), bytes);
      client.close();
    } finally {
      await fixture.close();
    }
  });
});

describe('no leaks', () => {
  it('once clients leave, no session, timer or listener keeps the process alive', async () => {
    const script = fileURLToPath(new URL('./fixtures/leak-check.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let doneAt: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (doneAt === undefined && stdout.includes('clients=')) doneAt = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Startup and the scenario may be slow on a loaded machine; what matters is how long the
    // process lingers once its work is done.
    const killer = setTimeout(() => child.kill(), 60_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(killer);
    assert.equal(signal, null, `the process had to be killed\n${stdout}\n${stderr}`);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /clients=0/);
    const lingered = Date.now() - doneAt!;
    assert.ok(lingered < 5000, `the process lingered ${lingered} ms after its clients left: something kept it alive`);
  });
});

/** A TCP proxy to the engine that can stop forwarding while keeping connections open. */
async function startFreezableProxy(
  targetPort: number,
): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const pairs: [NetSocket, NetSocket][] = [];
  let frozen = false;
  const server: Server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    inbound.on('error', () => {});
    outbound.on('error', () => {});
    pairs.push([inbound, outbound]);
    if (frozen) return;
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    freeze() {
      frozen = true;
      for (const [inbound, outbound] of pairs) {
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        inbound.pause();
        outbound.pause();
      }
    },
    async close() {
      for (const [inbound, outbound] of pairs) {
        inbound.destroy();
        outbound.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
