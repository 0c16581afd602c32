/**
 * The HTTP long-polling transport by hand (Engine.IO protocol v4, "HTTP long-polling" and "Packet
 * encoding"): handshake, held GETs, POSTs, payload formats, limits, overlap rules and heartbeats.
 */
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gunzipSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { pickEncoding } from '../../src/engine/polling-transport.js';
import type { EngineSocket } from '../../src/engine/index.js';
import { openPolling, rawRequest, startEngine, type EngineFixture } from './helpers.js';
import { sleep, until, waitFor } from '../helpers/wait.js';

describe('HTTP long-polling', () => {
  let fixture: EngineFixture;

  beforeEach(async () => {
    // Slow heartbeats: raw clients here never pong, and no ping may end a held poll, unless a test says so.
    fixture = await startEngine({ pingInterval: 2000, pingTimeout: 2000, maxHttpBufferSize: 1000 });
  });
  afterEach(() => fixture.close());

  async function open(): Promise<{ sid: string; socket: EngineSocket }> {
    const connection = fixture.nextConnection();
    const { sid } = await openPolling(fixture);
    const socket = await connection;
    assert.equal(socket.id, sid);
    return { sid, socket };
  }

  const poll = (sid: string, init?: Parameters<typeof rawRequest>[2]) =>
    rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${sid}`), init);
  const post = (sid: string, body: string | Buffer, headers?: Record<string, string>) =>
    poll(sid, { method: 'POST', body, ...(headers ? { headers } : {}) });

  describe('Handshake', () => {
    it('answers with the open packet and the five handshake keys', async () => {
      const response = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'));
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'text/plain; charset=UTF-8');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(Number(response.headers['content-length']), Buffer.byteLength(response.body));
      assert.equal(response.body[0], '0');
      const data = JSON.parse(response.body.slice(1));
      assert.deepEqual(Object.keys(data).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
      assert.match(data.sid, /^[A-Za-z0-9_-]{20}$/);
      assert.deepEqual(data.upgrades, ['websocket']);
      assert.equal(data.pingInterval, 2000);
      assert.equal(data.pingTimeout, 2000);
      assert.equal(data.maxPayload, 1000);
      assert.equal(fixture.engine.clientsCount, 1);
      const socket = fixture.engine.clients.get(data.sid)!;
      assert.equal(socket.transportName, 'polling');
      assert.equal(socket.readyState, 'open');
      assert.equal(socket.protocol, 4);
      assert.equal(socket.request.url, fixture.path('EIO=4&transport=polling'));
    });

    it('keeps method, URL, headers and what allowRequest added to the request, not the request itself', async () => {
      const engine = await startEngine({
        allowRequest: (req, callback) => {
          (req as unknown as { user: string }).user = 'ana';
          callback(null, true);
        },
      });
      try {
        const connection = engine.nextConnection();
        await rawRequest(engine.port, engine.path('EIO=4&transport=polling'), { headers: { 'x-team': 'blue' } });
        const { request } = await connection;
        assert.equal(request.method, 'GET');
        assert.equal(request.url, engine.path('EIO=4&transport=polling'));
        assert.equal(request.headers['x-team'], 'blue');
        assert.equal(request.httpVersion, '1.1');
        assert.equal(request.connection, request.socket);
        assert.equal(typeof request.socket.remoteAddress, 'string');
        assert.equal((request as unknown as { user: string }).user, 'ana');
        assert.ok(request instanceof IncomingMessage, 'an IncomingMessage to code that checks');
        // Stream state, raw header lists and the like stay with the IncomingMessage, which is let go of.
        assert.equal('rawHeaders' in request, false);
        assert.equal('_readableState' in request, false);
      } finally {
        await engine.close();
      }
    });

    it('gives every session its own id', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 10; i++) ids.add((await openPolling(fixture)).sid);
      assert.equal(ids.size, 10);
    });

    it('offers no upgrade when upgrades are off or WebSocket is not offered', async () => {
      const noUpgrades = await startEngine({ allowUpgrades: false });
      const pollingOnly = await startEngine({ transports: ['polling'] });
      try {
        assert.deepEqual((await openPolling(noUpgrades)).upgrades, []);
        assert.deepEqual((await openPolling(pollingOnly)).upgrades, []);
      } finally {
        await noUpgrades.close();
        await pollingOnly.close();
      }
    });
  });

  describe('Sending data (POST)', () => {
    it('answers ok and delivers text and binary messages in order', async () => {
      const { sid, socket } = await open();
      const received: (string | Buffer)[] = [];
      socket.on('message', (data) => received.push(data));
      const response = await post(sid, '4hello\x1ebAQIDBA==\x1e4€€€\x1e4');
      assert.equal(response.status, 200);
      assert.equal(response.body, 'ok');
      assert.equal(response.headers['content-type'], 'text/html');
      assert.deepEqual(received, ['hello', Buffer.from([1, 2, 3, 4]), '€€€', '']);
      assert.ok(Buffer.isBuffer(received[1]));
    });

    it('a close packet closes the session with "transport close"', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      assert.equal((await post(sid, '1')).body, 'ok');
      assert.deepEqual(await closed, ['transport close', undefined]);
      assert.equal(socket.readyState, 'closed');
      assert.equal(fixture.engine.clientsCount, 0);
      assert.equal((await poll(sid)).status, 400);
    });

    it('a malformed payload is answered 400 and closes the session with "parse error"', async () => {
      for (const body of ['abc', '', '4a\x1e\x1e4b', 'b!!!!', Buffer.from([0x34, 0xff, 0xfe])]) {
        const { sid, socket } = await open();
        const closed = waitFor<[string, unknown]>(socket, 'close');
        const response = await post(sid, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        const [reason, description] = await closed;
        assert.equal(reason, 'parse error');
        assert.ok(description instanceof Error);
      }
    });

    it('a body over maxHttpBufferSize is answered 413 and closes the session', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      const response = await post(sid, '4' + 'x'.repeat(1500));
      assert.equal(response.status, 413);
      assert.equal((await closed)[0], 'transport error');
      assert.equal(fixture.engine.clientsCount, 0);
    });

    it('counts bytes, not declared lengths: a chunked body over the limit is refused too', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      const response = await post(sid, '4' + 'é'.repeat(600), { 'Transfer-Encoding': 'chunked' });
      assert.equal(response.status, 413);
      assert.equal((await closed)[0], 'transport error');
    });

    it('a binary body (not protocol v4) is answered 400 and closes the session', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      const response = await post(sid, Buffer.from([1, 2, 3]), { 'Content-Type': 'application/octet-stream' });
      assert.equal(response.status, 400);
      assert.equal((await closed)[0], 'transport error');
    });
  });

  describe('Receiving data (GET)', () => {
    it('holds the GET until there is data, then sends everything queued in one tick in one payload', async () => {
      const { sid, socket } = await open();
      const pending = poll(sid);
      await until(() => socket.writable, 3000, 'the poll to be held');
      socket.send('one');
      socket.send(Buffer.from([1, 2, 3, 4]));
      socket.send('three');
      const response = await pending;
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'text/plain; charset=UTF-8');
      assert.equal(response.body, '4one\x1ebAQIDBA==\x1e4three');
    });

    it('sends packets buffered while no GET was held on the next one, and calls send callbacks once written', async () => {
      const { sid, socket } = await open();
      const written: string[] = [];
      socket.send('a', {}, () => written.push('a'));
      socket.send('b', undefined, () => written.push('b'));
      await sleep(20);
      assert.deepEqual(written, [], 'nothing is written without a GET');
      const response = await poll(sid);
      assert.equal(response.body, '4a\x1e4b');
      assert.deepEqual(written, ['a', 'b']);
    });

    it("reports a batch to 'packetCreate' as each packet is sent, then to 'flush' and 'drain' as a GET takes it", async () => {
      const { sid, socket } = await open();
      const events: string[] = [];
      socket.on('packetCreate', (packet) =>
        events.push(`packetCreate ${String(packet.data)} compress=${packet.options.compress}`),
      );
      socket.on('flush', (packets) => events.push(`flush ${packets.map((packet) => String(packet.data)).join(',')}`));
      socket.on('drain', () => events.push('drain'));
      socket.send('a');
      socket.send('b', { compress: false });
      await sleep(20);
      assert.deepEqual(
        events,
        ['packetCreate a compress=true', 'packetCreate b compress=false'],
        'nothing is flushed without a GET',
      );
      assert.equal((await poll(sid)).body, '4a\x1e4b');
      assert.deepEqual(events.slice(2), ['flush a,b', 'drain']);
    });

    async function withFastHeartbeats(): Promise<void> {
      await fixture.close();
      fixture = await startEngine({ pingInterval: 200, pingTimeout: 600 });
    }

    it('a ping releases a held GET after pingInterval, and a pong keeps the session', async () => {
      await withFastHeartbeats();
      const { sid, socket } = await open();
      const heartbeat = waitFor(socket, 'heartbeat');
      const response = await poll(sid);
      assert.equal(response.body, '2');
      assert.equal((await post(sid, '3')).body, 'ok');
      await heartbeat;
      assert.equal(socket.readyState, 'open');
    });

    it('closes with "ping timeout" when no pong comes, then forgets the sid', async () => {
      await withFastHeartbeats();
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      assert.equal((await poll(sid)).body, '2');
      assert.equal((await closed)[0], 'ping timeout');
      assert.equal(fixture.engine.clientsCount, 0);
      const late = await post(sid, '3');
      assert.equal(late.status, 400);
      assert.equal(JSON.parse(late.body).code, 1);
    });

    it('a second concurrent GET is answered 400, ends the first with a close packet and closes the session', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string, unknown]>(socket, 'close');
      const first = poll(sid);
      await until(() => socket.writable, 3000, 'the poll to be held');
      const second = await poll(sid);
      assert.equal(second.status, 400);
      assert.equal((await first).body, '1');
      const [reason, description] = await closed;
      assert.equal(reason, 'transport error');
      assert.match(String((description as Error).message), /overlap/);
      assert.equal((await poll(sid)).status, 400);
    });

    it('a client that aborts its held GET closes the session with "transport error"', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      const abort = new AbortController();
      const pending = poll(sid, { signal: abort.signal });
      await until(() => socket.writable, 3000, 'the poll to be held');
      abort.abort();
      await pending;
      assert.equal((await closed)[0], 'transport error');
      assert.equal(fixture.engine.clientsCount, 0);
    });

    it('a client ping (the server pings in v4) is a transport error', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      await post(sid, '2');
      assert.equal((await closed)[0], 'transport error');
    });
  });

  describe('Closing', () => {
    it('socket.close() sends the close packet on the next GET, behind a noop, after what was buffered', async () => {
      const { sid, socket } = await open();
      const closed = waitFor<[string]>(socket, 'close');
      socket.send('bye');
      socket.close();
      assert.equal(socket.readyState, 'closing');
      socket.send('ignored once closing');
      assert.equal((await poll(sid)).body, '4bye');
      // As the reference server answers a GET that comes after the close: noop, then close.
      assert.equal((await poll(sid)).body, '6\x1e1');
      assert.equal((await closed)[0], 'forced close');
      assert.equal(socket.readyState, 'closed');
    });

    it('socket.close() with a held GET answers it with the close packet at once', async () => {
      const { sid, socket } = await open();
      const pending = poll(sid);
      await until(() => socket.writable, 3000, 'the poll to be held');
      const closed = waitFor<[string]>(socket, 'close');
      socket.close();
      assert.equal((await pending).body, '1');
      assert.equal((await closed)[0], 'forced close');
    });

    it('engine.close() closes every session with "server shutting down"', async () => {
      const a = await open();
      const b = await open();
      const pending = poll(a.sid);
      await until(() => a.socket.writable, 3000, 'the poll to be held');
      const reasons = Promise.all([waitFor<[string]>(a.socket, 'close'), waitFor<[string]>(b.socket, 'close')]);
      fixture.engine.close();
      assert.deepEqual(
        (await reasons).map(([reason]) => reason),
        ['server shutting down', 'server shutting down'],
      );
      assert.equal((await pending).body, '1');
      assert.equal(fixture.engine.clientsCount, 0);
    });
  });
});

describe('Response compression', () => {
  it('picks gzip, then deflate, from Accept-Encoding, honouring q=0', () => {
    assert.equal(pickEncoding('gzip, deflate, br'), 'gzip');
    assert.equal(pickEncoding('deflate'), 'deflate');
    assert.equal(pickEncoding('br;q=1, deflate;q=0.5'), 'deflate');
    assert.equal(pickEncoding('gzip;q=0, deflate'), 'deflate');
    assert.equal(pickEncoding('*'), 'gzip');
    assert.equal(pickEncoding('identity'), undefined);
    assert.equal(pickEncoding(undefined), undefined);
  });

  it('compresses payloads over the threshold, and only when the client accepts it and the message allows it', async () => {
    const fixture = await startEngine();
    const off = await startEngine({ httpCompression: false });
    try {
      const big = 'x'.repeat(5000);
      const exchange = async (target: EngineFixture, encoding: string | undefined, data: string, compress = true) => {
        const connection = target.nextConnection();
        const { sid } = await openPolling(target);
        (await connection).send(data, { compress });
        await sleep(10);
        return rawRequest(
          target.port,
          target.path(`EIO=4&transport=polling&sid=${sid}`),
          encoding ? { headers: { 'Accept-Encoding': encoding } } : {},
        );
      };
      const gzipped = await exchange(fixture, 'gzip, deflate', big);
      assert.equal(gzipped.headers['content-encoding'], 'gzip');
      assert.equal(gzipped.headers['vary'], 'Accept-Encoding');
      assert.equal(Number(gzipped.headers['content-length']), gzipped.raw.length);
      assert.ok(gzipped.raw.length < 200);
      assert.equal(gunzipSync(gzipped.raw).toString(), `4${big}`);
      const deflated = await exchange(fixture, 'deflate', big);
      assert.equal(deflated.headers['content-encoding'], 'deflate');
      assert.equal(inflateSync(deflated.raw).toString(), `4${big}`);
      for (const response of [
        await exchange(fixture, 'gzip', 'small'),
        await exchange(fixture, undefined, big),
        await exchange(fixture, 'gzip', big, false),
        await exchange(off, 'gzip', big),
      ]) {
        assert.equal(response.headers['content-encoding'], undefined);
        assert.ok(response.body.startsWith('4'));
      }
    } finally {
      await fixture.close();
      await off.close();
    }
  });
});

describe('Hostile input', () => {
  it('random POST bodies and query strings never crash the server or disturb another session', async () => {
    const fixture = await startEngine({ pingInterval: 5000, pingTimeout: 5000 });
    try {
      const bystander = await openPolling(fixture);
      const bystanderSocket = fixture.engine.clients.get(bystander.sid)!;
      const seen: (string | Buffer)[] = [];
      bystanderSocket.on('message', (data) => seen.push(data));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 60 }),
            fc.uint8Array({ maxLength: 60 }).map((bytes) => Buffer.from(bytes)),
          ),
          fc.constantFrom('', '&sid=nope', '&EIO=3', '&transport=x', '&sid=', '&sid=%00', '&EIO=4&EIO=3'),
          async (body, extra) => {
            const { sid } = await openPolling(fixture);
            const response = await rawRequest(
              fixture.port,
              fixture.path(`EIO=4&transport=polling&sid=${sid}${extra}`),
              { method: 'POST', body },
            );
            assert.ok([200, 400].includes(response.status), `${response.status} ${response.body}`);
            if (response.status === 200) assert.equal(response.body, 'ok');
            else assert.equal(typeof JSON.parse(response.body).code, 'number');
            fixture.engine.clients.get(sid)?.close();
          },
        ),
        { numRuns: 30 },
      );
      const posted = await rawRequest(fixture.port, fixture.path(`EIO=4&transport=polling&sid=${bystander.sid}`), {
        method: 'POST',
        body: '4still fine',
      });
      assert.equal(posted.body, 'ok');
      assert.deepEqual(seen, ['still fine']);
      assert.equal(bystanderSocket.readyState, 'open');
    } finally {
      await fixture.close();
    }
  });
});
