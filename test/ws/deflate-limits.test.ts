import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { syncBuiltinESMExports } from 'node:module';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { ErrorCode, WebSocket, WebSocketError } from '../../src/ws/index.js';
import { ZlibLimiter } from '../../src/ws/zlib-limiter.js';
import { PeakInflateBudget, deflateMessage, textLike } from '../helpers/deflate.js';
import { until, waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, fakeUpgradeServer, startServer, switchingProtocols } from '../helpers/ws-peers.js';
import { nextMessage, openOurClient, openWsClient, ourClose } from './interop-shared.js';

const OFFER = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n';
const RSV1 = 0x40;

/** A raw client that negotiated permessage-deflate with `port`. */
async function deflateClient(port: number): Promise<RawClient> {
  const client = await RawClient.open(port, '/', OFFER);
  assert.equal(client.status, 101);
  assert.match(client.response, /\r\nSec-WebSocket-Extensions: permessage-deflate\r\n/i);
  return client;
}

describe('permessage-deflate limits (RFC 7692 §8, RFC 6455 §7.4.1)', () => {
  // What the implementation holds, not process memory: the inflate budget is charged every chunk of output a
  // message keeps while it inflates, so its peak is exact where a heap figure depends on when GC runs.
  it('fails a 10 MiB bomb with 1009, never holding more inflated output than maxPayload', async () => {
    const bomb = deflateMessage(Buffer.alloc(10 * 1024 * 1024));
    assert.ok(bomb.length < 20 * 1024);
    const maxPayload = 1024 * 1024;
    const budget = new PeakInflateBudget();
    await withServer(
      () => startServer({ perMessageDeflate: { inflateBudget: budget }, maxPayload }),
      async (server) => {
        let delivered = 0;
        server.wss.on('connection', (socket) => socket.on('message', () => delivered++));
        const client = await deflateClient(server.port);
        client.write(clientFrame(0x2, bomb, { rsv: RSV1 }));
        assert.equal(await client.readCloseCode(), 1009);
        client.destroy();
        assert.equal(delivered, 0);
        assert.ok(budget.peak > 0 && budget.peak <= maxPayload, `held ${budget.peak} bytes of inflated output`);
        assert.equal(budget.inflatingBytes, 0, 'the failed message gave its bytes back');
      },
    );

    // The same measure sees the whole 10 MiB when maxPayload lets the message through.
    const roomyBudget = new PeakInflateBudget();
    const roomyOptions = { perMessageDeflate: { inflateBudget: roomyBudget }, maxPayload: 32 * 1024 * 1024 };
    await withServer(
      () => startServer(roomyOptions),
      async (roomy) => {
        const lengths: number[] = [];
        roomy.wss.on('connection', (socket) => socket.on('message', (data: Buffer) => lengths.push(data.length)));
        const other = await deflateClient(roomy.port);
        other.write(clientFrame(0x2, bomb, { rsv: RSV1 }));
        await until(() => lengths.length > 0, 5000, 'the inflated message');
        other.destroy();
        assert.deepEqual(lengths, [10 * 1024 * 1024]);
        assert.equal(roomyBudget.peak, 10 * 1024 * 1024);
        assert.equal(roomyBudget.inflatingBytes, 0, 'the delivered message gave its bytes back');
      },
    );
  });

  it('fails data that does not inflate, and inflated text that is not UTF-8, with 1007', async () => {
    await withServer(
      () => startServer({ perMessageDeflate: true }),
      async (server) => {
        for (const bad of [
          clientFrame(0x2, Buffer.from([0xff, 0xee, 0xdd, 0xcc]), { rsv: RSV1 }),
          clientFrame(0x1, deflateMessage(Buffer.from([0x68, 0xc3, 0x28])), { rsv: RSV1 }),
        ]) {
          const client = await deflateClient(server.port);
          client.write(bad);
          assert.equal(await client.readCloseCode(), 1007);
          client.destroy();
        }
      },
    );
  });

  it('fails RSV1 with 1002 without negotiation, on a control frame, and on a continuation frame', async () => {
    await withServer(
      () => startServer({ perMessageDeflate: false }),
      async (plain) => {
        const unnegotiated = await RawClient.open(plain.port, '/', OFFER);
        assert.doesNotMatch(unnegotiated.response, /Sec-WebSocket-Extensions/i);
        unnegotiated.write(clientFrame(0x2, deflateMessage(Buffer.from('hello')), { rsv: RSV1 }));
        assert.equal(await unnegotiated.readCloseCode(), 1002);
        unnegotiated.destroy();
      },
    );

    const compressed = deflateMessage(Buffer.from('hello hello hello'));
    const cases = [
      clientFrame(0x9, 'ping', { rsv: RSV1 }),
      Buffer.concat([
        clientFrame(0x2, compressed.subarray(0, 4), { rsv: RSV1, fin: false }),
        clientFrame(0x0, compressed.subarray(4), { rsv: RSV1 }),
      ]),
    ];
    await withServer(
      () => startServer({ perMessageDeflate: true }),
      async (server) => {
        for (const frames of cases) {
          const client = await deflateClient(server.port);
          client.write(frames);
          assert.equal(await client.readCloseCode(), 1002);
          client.destroy();
        }
      },
    );
  });

  it('declines bad offers in the handshake and picks the first acceptable one (RFC 7692 §5)', async () => {
    const responses: [string, string | undefined][] = [
      ['permessage-deflate; foo', undefined],
      ['permessage-deflate; server_max_window_bits=16', undefined],
      ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', undefined],
      // No client_max_window_bits: the client could use 15 bits, more than this server allows.
      ['permessage-deflate', undefined],
      ['permessage-deflate; foo, permessage-deflate; client_max_window_bits=10', 'permessage-deflate'],
      ['permessage-deflate; client_max_window_bits, x-other', 'permessage-deflate; client_max_window_bits=12'],
    ];
    await withServer(
      () => startServer({ perMessageDeflate: { clientMaxWindowBits: 12 } }),
      async (server) => {
        for (const [offer, answer] of responses) {
          const client = await RawClient.open(server.port, '/', `Sec-WebSocket-Extensions: ${offer}\r\n`);
          assert.equal(client.status, 101, offer);
          assert.equal(/\r\nSec-WebSocket-Extensions: ([^\r]*)\r\n/i.exec(client.response)?.[1], answer, offer);
          client.destroy();
        }
      },
    );
  });

  it('is off by default on the server, on by default on the client, and off when either says false', async () => {
    const cases: [boolean | undefined, boolean | undefined, string][] = [
      [undefined, undefined, ''],
      [true, undefined, 'permessage-deflate'],
      [true, false, ''],
      [false, true, ''],
    ];
    for (const [serverOption, clientOption, expected] of cases) {
      await withServer(
        () => startServer(serverOption === undefined ? {} : { perMessageDeflate: serverOption }),
        async (server) => {
          const options = clientOption === undefined ? {} : { perMessageDeflate: clientOption };
          const client = await openOurClient(new WebSocket(server.url, options));
          assert.equal(client.extensions, expected, `server ${serverOption}, client ${clientOption}`);
          assert.equal([...server.wss.clients][0]!.extensions, expected);
          client.terminate();
        },
      );
    }
  });

  it('fails the client on a response it did not ask for (RFC 7692 §5.1)', async () => {
    const answers = [
      'permessage-deflate; foo',
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      'permessage-deflate, permessage-deflate',
    ];
    let answer = '';
    const fake = await fakeUpgradeServer((key) => switchingProtocols(key, `Sec-WebSocket-Extensions: ${answer}\r\n`));
    try {
      for (const candidate of [...answers, 'permessage-deflate; server_max_window_bits=12']) {
        answer = candidate;
        // The last one answers an offer of at most 11 bits with 12.
        const client = new WebSocket(
          fake.url,
          candidate.endsWith('=12') ? { perMessageDeflate: { serverMaxWindowBits: 11 } } : {},
        );
        const error = waitFor<[unknown]>(client, 'error');
        const closed = ourClose(client);
        const [failure] = await error;
        assert.ok(failure instanceof WebSocketError, candidate);
        assert.ok(
          failure.code === ErrorCode.BadExtension || failure.code === ErrorCode.BadUpgradeResponse,
          `${candidate}: ${failure.code}`,
        );
        assert.equal((await closed).code, 1006);
      }
    } finally {
      fake.close();
    }
  });
});

describe('permessage-deflate resources', () => {
  it('keeps zlib operations in flight within the limiter across many connections', async () => {
    const limiter = new ZlibLimiter(2);
    await withServer(
      () => startServer({ perMessageDeflate: { limiter, threshold: 0 } }),
      async (server) => {
        server.wss.on('connection', (socket) =>
          socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary })),
        );
        let peak = 0;
        let queued = 0;
        let sampling = true;
        const sample = (): void => {
          peak = Math.max(peak, limiter.active);
          queued = Math.max(queued, limiter.pending);
          if (sampling) setImmediate(sample);
        };
        sample();
        // Sampling stops however the exchange ends: a pending setImmediate would keep the run alive.
        const clients = await (async () => {
          try {
            const opened = await Promise.all(
              Array.from({ length: 40 }, () => openWsClient(server.url, { perMessageDeflate: true })),
            );
            await Promise.all(
              opened.map(async (client, i) => {
                for (let round = 0; round < 3; round++) {
                  const message = textLike(20_000, i * 3 + round);
                  const echoed = nextMessage(client);
                  client.send(message);
                  assert.ok((await echoed).data.equals(message));
                }
              }),
            );
            return opened;
          } finally {
            sampling = false;
          }
        })();
        assert.ok(peak >= 1 && peak <= 2, `peak ${peak}`);
        assert.ok(queued > 0, 'the limiter queued work');
        for (const client of clients) client.terminate();
      },
    );
  });

  it('frees the zlib contexts of closed connections', async () => {
    // Track every zlib stream created from here on (the binding imports zlib's functions by name,
    // so the module's exports are re-synced after patching).
    const created: Duplex[] = [];
    const originals = { createDeflateRaw: zlib.createDeflateRaw, createInflateRaw: zlib.createInflateRaw };
    const patch = (replacements: Partial<typeof originals>): void => {
      for (const [name, value] of Object.entries(replacements))
        Object.defineProperty(zlib, name, { value, configurable: true });
      syncBuiltinESMExports();
    };
    patch({
      createDeflateRaw: (options) => track(originals.createDeflateRaw(options)),
      createInflateRaw: (options) => track(originals.createInflateRaw(options)),
    });
    function track<T extends Duplex>(stream: T): T {
      created.push(stream);
      return stream;
    }
    try {
      await withServer(
        () => startServer({ perMessageDeflate: { threshold: 0 } }),
        async (server) => {
          server.wss.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(data)));
          const clients: WebSocket[] = [];
          for (let i = 0; i < 10; i++) {
            const client = new WebSocket(server.url, { perMessageDeflate: { threshold: 0 } });
            await openOurClient(client);
            const echoed = nextMessage(client);
            client.send(textLike(5000, i));
            await echoed;
            clients.push(client);
          }
          // A compressor and a decompressor on each end of each connection.
          assert.equal(created.length, 40);
          assert.ok(created.every((stream) => !stream.destroyed));
          await Promise.all(
            clients.map((client) => {
              const closed = ourClose(client);
              client.close();
              return closed;
            }),
          );
        },
      );
      assert.ok(
        created.every((stream) => stream.destroyed),
        `${created.filter((stream) => !stream.destroyed).length} zlib streams left open`,
      );
    } finally {
      patch(originals);
    }
  });
});
