/**
 * The WebSocket transport with raw frames (Engine.IO protocol v4, "WebSocket" and "Upgrade"):
 * WebSocket-only sessions, frame formats, batching, heartbeats, errors, and the polling →
 * WebSocket upgrade step by step.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { PreparedMessage, type EngineSocket } from '../../src/engine/index.js';
import { RawWebSocket, openPolling, rawRequest, startEngine, type EngineFixture } from './helpers.js';
import { sleep, until, waitFor } from '../helpers/wait.js';

describe('WebSocket transport', () => {
  let fixture: EngineFixture;

  beforeEach(async () => {
    // Slow heartbeats: raw clients here never pong unless a test says so.
    fixture = await startEngine({
      pingInterval: 3000,
      pingTimeout: 3000,
      maxHttpBufferSize: 1000,
      upgradeTimeout: 3000,
    });
  });
  afterEach(() => fixture.close());

  const wsUrl = (query: string) => fixture.url(query).replace('http:', 'ws:');

  async function openWebSocket(): Promise<{
    client: RawWebSocket;
    socket: EngineSocket;
    handshake: Record<string, unknown>;
  }> {
    const connection = fixture.nextConnection();
    const client = await RawWebSocket.connect(wsUrl('EIO=4&transport=websocket'));
    const open = await client.nextText();
    assert.equal(open[0], '0');
    return { client, socket: await connection, handshake: JSON.parse(open.slice(1)) };
  }

  describe('WebSocket-only session', () => {
    it('opens with the open packet, no upgrades offered', async () => {
      const { client, socket, handshake } = await openWebSocket();
      assert.deepEqual(handshake, {
        sid: socket.id,
        upgrades: [],
        pingInterval: 3000,
        pingTimeout: 3000,
        maxPayload: 1000,
      });
      assert.equal(socket.transportName, 'websocket');
      assert.equal(fixture.engine.clients.get(socket.id), socket);
      client.close();
    });

    it('exchanges text as text frames and binary as raw binary frames, both ways', async () => {
      const { client, socket } = await openWebSocket();
      const received: (string | Buffer)[] = [];
      socket.on('message', (data) => received.push(data));
      client.send('4hello');
      client.send(Buffer.from([0, 1, 2, 255]));
      client.send('4');
      await until(() => received.length === 3, 3000, 'three messages');
      assert.deepEqual(received, ['hello', Buffer.from([0, 1, 2, 255]), '']);
      socket.send('€ back');
      socket.send(Buffer.from([9, 8, 7]));
      assert.equal(await client.nextText(), '4€ back');
      const binary = await client.next();
      assert.equal(binary.isBinary, true);
      assert.deepEqual(binary.data, Buffer.from([9, 8, 7]));
      client.close();
    });

    it('writes everything sent in one tick as one burst of frames, and calls each send callback', async () => {
      const connection = fixture.nextConnection();
      const raw = connect(fixture.port, '127.0.0.1');
      raw.write(
        `GET ${fixture.path('EIO=4&transport=websocket')} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n` +
          'Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const chunks: Buffer[] = [];
      raw.on('data', (chunk: Buffer) => chunks.push(chunk));
      const socket = await connection;
      await until(() => Buffer.concat(chunks).includes('0{"sid"'), 3000, 'the open packet');
      chunks.length = 0;
      const written: number[] = [];
      socket.send('one', {}, () => written.push(1));
      socket.send(Buffer.from([1, 2]), {}, () => written.push(2));
      socket.send('three', {}, () => written.push(3));
      const expected = Buffer.concat([
        Buffer.from([0x81, 4]),
        Buffer.from('4one'),
        Buffer.from([0x82, 2, 1, 2]),
        Buffer.from([0x81, 6]),
        Buffer.from('4three'),
      ]);
      await until(() => Buffer.concat(chunks).length >= expected.length && written.length === 3, 3000, 'the burst');
      assert.equal(chunks.length, 1, 'one write');
      assert.deepEqual(chunks[0], expected);
      assert.deepEqual(written, [1, 2, 3]);
      raw.destroy();
    });

    it('a prepared message reaches WebSocket and polling sessions alike, WebSocket ones writing one shared frame', async () => {
      const first = await openWebSocket();
      const second = await openWebSocket();
      const polled = fixture.nextConnection();
      const { sid } = await openPolling(fixture);
      const polling = await polled;
      const message = new PreparedMessage('hi all');
      for (const socket of [first.socket, second.socket, polling]) socket.sendPrepared(message);
      assert.equal(await first.client.nextText(), '4hi all');
      assert.equal(await second.client.nextText(), '4hi all');
      const poll = await rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${sid}`));
      assert.equal(poll.body, '4hi all');
      assert.equal(message.webSocketFrame(), message.webSocketFrame(), 'the frame is encoded once');
      assert.deepEqual(message.webSocketFrame(), Buffer.concat([Buffer.from([0x81, 7]), Buffer.from('4hi all')]));
      first.client.close();
      second.client.close();
    });

    it('is not writable (volatile packets are dropped) while earlier writes wait for a client that does not read', async () => {
      const connection = fixture.nextConnection();
      const raw = connect(fixture.port, '127.0.0.1');
      raw.write(
        `GET ${fixture.path('EIO=4&transport=websocket')} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n` +
          'Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const socket = await connection;
      // The client reads nothing: the server's bytes pile up once the kernel buffers are full.
      raw.pause();
      assert.equal(socket.writable, true);
      const chunk = 'x'.repeat(1 << 20);
      for (let sent = 0; socket.writable && sent < 256; sent++) {
        socket.send(chunk);
        await sleep(1);
      }
      assert.equal(socket.writable, false, 'backlogged after at most 256 MiB');
      raw.resume();
      await until(() => socket.writable, 10_000, 'the backlog to drain');
      raw.destroy();
    });

    it('stays writable while a message or two waits for compression', async () => {
      const compressing = await startEngine({ perMessageDeflate: { threshold: 0 } });
      try {
        const connection = compressing.nextConnection();
        const client = await RawWebSocket.connect(compressing.url('EIO=4&transport=websocket').replace('http:', 'ws:'));
        const socket = await connection;
        assert.equal(client.ws.extensions.startsWith('permessage-deflate'), true);
        assert.equal(socket.writable, true, 'with the open packet being compressed');
        socket.send('one');
        assert.equal(socket.writable, true, 'a volatile packet after it in the same tick is not dropped');
        socket.send('two');
        assert.equal((await client.nextText())[0], '0');
        assert.equal(await client.nextText(), '4one');
        assert.equal(await client.nextText(), '4two');
        client.close();
      } finally {
        await compressing.close();
      }
    });

    it('reports every packet it sends and receives to packetCreate and packet listeners', async () => {
      const { client, socket } = await openWebSocket();
      const created: unknown[] = [];
      const received: unknown[] = [];
      const data: unknown[] = [];
      socket.on('packetCreate', (packet) => created.push(packet));
      socket.once('packet', (packet) => received.push(packet));
      socket.once('data', (message) => data.push(message));
      socket.send('one');
      socket.send('uncompressed', { compress: false });
      socket.sendPrepared(new PreparedMessage('two'));
      socket.sendPrepared(new PreparedMessage('three', { compress: false }));
      // As the reference server reports them: each packet with the options it was sent with.
      assert.deepEqual(created, [
        { type: 'message', data: 'one', options: { compress: true } },
        { type: 'message', data: 'uncompressed', options: { compress: false } },
        { type: 'message', data: 'two', options: { compress: true } },
        { type: 'message', data: 'three', options: { compress: false } },
      ]);
      client.send('4four');
      await until(() => received.length === 1, 3000, 'the packet event');
      assert.deepEqual(received, [{ type: 'message', data: 'four' }]);
      assert.deepEqual(data, ['four'], "'data' carries the message, as 'message' does");
      for (const text of ['4one', '4uncompressed', '4two', '4three']) assert.equal(await client.nextText(), text);
      client.close();
    });

    it('a close packet or the client closing ends the session with "transport close"', async () => {
      const first = await openWebSocket();
      const closedByPacket = waitFor<[string]>(first.socket, 'close');
      first.client.send('1');
      assert.equal((await closedByPacket)[0], 'transport close');
      await first.client.closed;

      const second = await openWebSocket();
      const closedByClient = waitFor<[string]>(second.socket, 'close');
      second.client.close();
      assert.equal((await closedByClient)[0], 'transport close');
      assert.equal(fixture.engine.clientsCount, 0);
    });

    it('closes with "parse error" on a malformed packet, and "transport error" on a client ping', async () => {
      for (const [frame, reason] of [
        ['abc', 'parse error'],
        ['', 'parse error'],
        ['2', 'transport error'],
      ] as const) {
        const { client, socket } = await openWebSocket();
        const closed = waitFor<[string]>(socket, 'close');
        client.send(frame);
        assert.equal((await closed)[0], reason, JSON.stringify(frame));
        await client.closed;
      }
    });

    it('a message over maxHttpBufferSize closes the connection (1009) and the session', async () => {
      const { client, socket } = await openWebSocket();
      const closed = waitFor<[string]>(socket, 'close');
      client.send('4' + 'x'.repeat(2000));
      assert.match((await closed)[0], /^transport (error|close)$/);
      assert.equal((await client.closed)[0], 1009);
    });

    it('pings every pingInterval; a pong is a heartbeat, silence is a "ping timeout"', async () => {
      await fixture.close();
      fixture = await startEngine({ pingInterval: 150, pingTimeout: 400 });
      const { client, socket } = await openWebSocket();
      assert.equal(await client.nextText(1000), '2');
      const heartbeat = waitFor(socket, 'heartbeat');
      client.send('3');
      await heartbeat;
      assert.equal(await client.nextText(1000), '2');
      const closed = waitFor<[string]>(socket, 'close');
      assert.equal((await closed)[0], 'ping timeout');
      await client.closed;
      assert.equal(fixture.engine.clientsCount, 0);
    });

    it('socket.close() and engine.close() close the connection with their reasons', async () => {
      const a = await openWebSocket();
      const forced = waitFor<[string]>(a.socket, 'close');
      a.socket.send('last words');
      a.socket.close();
      assert.equal((await forced)[0], 'forced close');
      assert.equal(await a.client.nextText(), '4last words');
      await a.client.closed;

      const b = await openWebSocket();
      const shutdown = waitFor<[string]>(b.socket, 'close');
      fixture.engine.close();
      assert.equal((await shutdown)[0], 'server shutting down');
      await b.client.closed;
    });
  });

  describe('Hostile frames', () => {
    it('random text and binary frames either arrive as messages or end only their own session', async () => {
      // Heartbeats slower than the run, so the bystander (which never pongs) outlives it.
      await fixture.close();
      fixture = await startEngine({ pingInterval: 30_000, pingTimeout: 30_000 });
      const bystander = await openWebSocket();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
          ),
          async (frame) => {
            const { client, socket } = await openWebSocket();
            const outcome = new Promise<string>((resolve) => {
              socket.once('message', () => resolve('message'));
              socket.once('close', (reason) => resolve(reason));
            });
            client.send(frame);
            // Packets the server ignores (open, upgrade, noop) are followed by one it must not ignore.
            client.send('4after');
            const result = await outcome;
            if (typeof frame !== 'string') assert.equal(result, 'message', 'binary frames are always messages');
            else if (/^[0-6]/.test(frame) === false) assert.equal(result, 'parse error');
            client.close();
            await client.closed;
          },
        ),
        { numRuns: 40 },
      );
      bystander.client.send('4still here');
      assert.deepEqual(await waitFor(bystander.socket, 'message'), ['still here']);
      bystander.client.close();
    });
  });

  describe('Upgrade from polling', () => {
    const poll = (sid: string) => rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${sid}`));

    it('probe, noop on the held GET, upgrade, then buffered packets over WebSocket in order', async () => {
      const connection = fixture.nextConnection();
      const { sid } = await openPolling(fixture);
      const socket = await connection;
      const events: string[] = [];
      socket.on('upgrading', (transport) => events.push(`upgrading ${transport.name}`));
      socket.on('upgrade', (transport) => events.push(`upgrade ${transport.name} ${transport === socket.transport}`));
      socket.send('before');
      assert.equal((await poll(sid)).body, '4before');
      const held = poll(sid);
      await until(() => socket.writable, 3000, 'the poll to be held');

      const client = await RawWebSocket.connect(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
      client.send('2probe');
      assert.equal(await client.nextText(), '3probe');
      assert.equal((await held).body, '6', 'the held GET ends with a noop');
      assert.deepEqual(events, ['upgrading websocket']);
      assert.equal(socket.transportName, 'polling');

      for (let i = 0; i < 5; i++) socket.send(`during ${i}`);
      socket.send(Buffer.from([7]));
      await sleep(30);
      client.send('5');
      for (let i = 0; i < 5; i++) assert.equal(await client.nextText(), `4during ${i}`);
      assert.deepEqual((await client.next()).data, Buffer.from([7]));
      assert.deepEqual(events, ['upgrading websocket', 'upgrade websocket true']);
      assert.equal(socket.transportName, 'websocket');

      const received = waitFor<[string]>(socket, 'message');
      client.send('4over websocket');
      assert.deepEqual(await received, ['over websocket']);
      socket.send('after');
      assert.equal(await client.nextText(), '4after');

      const late = await poll(sid);
      assert.equal(late.status, 400, 'polling is over for this session');
      const second = await rawRequest(fixture.port, fixture.path(`EIO=4&transport=websocket&sid=${sid}`), {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version': '13',
        },
      });
      assert.equal(second.status, 400, 'one WebSocket per session');
      assert.equal(socket.readyState, 'open');
      client.close();
    });

    it('a WebSocket that sends anything but probe or upgrade is closed; the session stays on polling', async () => {
      const connection = fixture.nextConnection();
      const { sid } = await openPolling(fixture);
      const socket = await connection;
      const client = await RawWebSocket.connect(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
      client.send('4sneaky');
      await client.closed;
      assert.equal(socket.readyState, 'open');
      assert.equal(socket.transportName, 'polling');
      socket.send('still here');
      assert.equal((await poll(sid)).body, '4still here');

      const retry = await RawWebSocket.connect(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
      retry.send('2probe');
      assert.equal(await retry.nextText(), '3probe', 'a failed upgrade may be tried again');
      retry.send('5');
      await waitFor(socket, 'upgrade');
      retry.close();
    });

    it('an upgrade not completed within upgradeTimeout is abandoned', async () => {
      const patient = await startEngine({ upgradeTimeout: 150 });
      try {
        const connection = patient.nextConnection();
        const { sid } = await openPolling(patient);
        const socket = await connection;
        const url = patient.url(`EIO=4&transport=websocket&sid=${sid}`).replace('http:', 'ws:');
        const client = await RawWebSocket.connect(url);
        client.send('2probe');
        assert.equal(await client.nextText(), '3probe');
        await client.closed;
        assert.equal(socket.transportName, 'polling');
        assert.equal(socket.readyState, 'open');
      } finally {
        await patient.close();
      }
    });

    it('socket.close() mid-upgrade lets the upgrade finish, then closes over WebSocket with "forced close"', async () => {
      const connection = fixture.nextConnection();
      const { sid } = await openPolling(fixture);
      const socket = await connection;
      const client = await RawWebSocket.connect(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
      client.send('2probe');
      assert.equal(await client.nextText(), '3probe');
      const closed = waitFor<[string]>(socket, 'close');
      socket.close();
      assert.equal(socket.readyState, 'closing');
      client.send('5');
      await waitFor(socket, 'upgrade');
      assert.equal((await closed)[0], 'forced close');
      const [code] = await Promise.race([client.closed, sleep(1000).then(() => [-1])]);
      assert.notEqual(code, -1, 'the WebSocket is closed, not left open on a closed session');
      assert.equal(fixture.engine.clientsCount, 0);
    });

    it('closing the session mid-upgrade closes the candidate WebSocket too', async () => {
      const connection = fixture.nextConnection();
      const { sid } = await openPolling(fixture);
      const socket = await connection;
      const client = await RawWebSocket.connect(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
      client.send('2probe');
      assert.equal(await client.nextText(), '3probe');
      const closed = waitFor<[string]>(socket, 'close');
      fixture.engine.close();
      assert.equal((await closed)[0], 'server shutting down');
      await client.closed;
    });
  });
});
