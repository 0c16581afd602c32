import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants } from 'node:zlib';
import { WebSocket as WsWebSocket } from 'ws';
import { formatExtensionList } from '../../src/protocol/index.js';
import type { DeflateParameters } from '../../src/protocol/permessage-deflate.js';
import { offerDeflateExtension } from '../../src/ws/deflate-session.js';
import { WebSocket, ZlibLimiter, defaultZlibLimiter, type PerMessageDeflateOptions } from '../../src/ws/index.js';
import { PerMessageDeflate, resolveDeflateOptions } from '../../src/ws/permessage-deflate.js';
import { textLike } from '../helpers/deflate.js';
import { startServer } from '../helpers/ws-peers.js';
import { nextMessage, openOurClient, openWsClient, startWsServer } from './interop-shared.js';

// ws's perMessageDeflate zlib settings (zlibDeflateOptions, zlibInflateOptions, concurrencyLimit):
// what leaves the protocol and our limits alone is taken, the rest is refused by name.

/** The options of ws's README, as many applications copy them. */
const README_OPTIONS = {
  zlibDeflateOptions: { chunkSize: 1024, memLevel: 7, level: 3 },
  zlibInflateOptions: { chunkSize: 10 * 1024 },
  clientNoContextTakeover: true,
  serverNoContextTakeover: true,
  serverMaxWindowBits: 10,
  concurrencyLimit: 10,
  threshold: 1024,
} satisfies PerMessageDeflateOptions;

const AGREED: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** The compressed size of `data` under `options`, through our per-connection compressor. */
function compressedSize(options: PerMessageDeflateOptions, data: Buffer): Promise<number> {
  const deflate = new PerMessageDeflate(AGREED, 'server', resolveDeflateOptions(options, true)!, Infinity);
  return new Promise((resolve, reject) =>
    deflate.compress(data, true, (error, fragments) => {
      deflate.close();
      if (error) reject(error);
      else resolve(fragments!.reduce((sum, fragment) => sum + fragment.length, 0));
    }),
  );
}

function refuses(options: object, message: RegExp): void {
  assert.throws(
    () => resolveDeflateOptions(options as PerMessageDeflateOptions, true),
    (error: Error) => error instanceof TypeError && message.test(error.message),
  );
}

describe("perMessageDeflate: ws's zlib settings", () => {
  it("takes ws's README example whole: level and memLevel, both chunk sizes, and a shared limiter of concurrencyLimit", () => {
    const resolved = resolveDeflateOptions(README_OPTIONS, false)!;
    assert.equal(resolved.level, 3);
    assert.equal(resolved.memLevel, 7);
    assert.equal(resolved.deflateChunkSize, 1024);
    assert.equal(resolved.inflateChunkSize, 10 * 1024);
    assert.equal(resolved.strategy, constants.Z_DEFAULT_STRATEGY);
    assert.equal(resolved.serverMaxWindowBits, 10);
    assert.equal(resolved.limiter.concurrency, 10);
    assert.notEqual(resolved.limiter, defaultZlibLimiter);
    // One limiter per value, across servers and clients, as ws's is one per process.
    assert.equal(resolveDeflateOptions({ concurrencyLimit: 10 }, true)!.limiter, resolved.limiter);
    assert.equal(resolveDeflateOptions({ concurrencyLimit: 3 }, true)!.limiter.concurrency, 3);
    assert.equal(resolveDeflateOptions({}, true)!.limiter, defaultZlibLimiter);
  });

  it('hands level and strategy to zlib: level 0 stores, Huffman-only finds no repeats', async () => {
    const data = Buffer.from('abcdefgh'.repeat(2048));
    const stored = await compressedSize({ zlibDeflateOptions: { level: 0 } }, data);
    const huffman = await compressedSize({ zlibDeflateOptions: { strategy: constants.Z_HUFFMAN_ONLY } }, data);
    const usual = await compressedSize({ zlibDeflateOptions: { level: 9 } }, data);
    assert.ok(stored >= data.length, `level 0 gave ${stored} bytes`);
    assert.ok(huffman > data.length / 4 && huffman < data.length, `Huffman-only gave ${huffman} bytes`);
    assert.ok(usual < 200, `level 9 gave ${usual} bytes`);
  });

  it("hands the compressor's chunkSize to zlib: a large message comes out in chunks of that size", async () => {
    const data = textLike(256 * 1024, 7);
    const deflate = new PerMessageDeflate(
      AGREED,
      'server',
      resolveDeflateOptions({ level: 0, zlibDeflateOptions: { chunkSize: 128 * 1024 } }, true)!,
      Infinity,
    );
    const fragments = await new Promise<Buffer[]>((resolve, reject) =>
      deflate.compress(data, true, (error, out) => (error ? reject(error) : resolve(out!))),
    );
    deflate.close();
    // Stored blocks barely shrink: two 128 KiB chunks (each bigger than a 64 KiB frame) and the rest.
    assert.equal(fragments[0]!.length, 128 * 1024);
    assert.equal(fragments[1]!.length, 128 * 1024);
  });

  it('refuses the settings that would change the protocol or escape our limits, naming what to use', () => {
    refuses({ zlibDeflateOptions: { windowBits: 10 } }, /"windowBits" is not supported: .*serverMaxWindowBits/);
    refuses({ zlibInflateOptions: { windowBits: 10 } }, /"windowBits" is not supported: .*negotiated/);
    refuses(
      { zlibDeflateOptions: { dictionary: Buffer.from('x') } },
      /zlibDeflateOptions option "dictionary" is not supported: .*preset dictionary/,
    );
    refuses(
      { zlibInflateOptions: { maxOutputLength: 1024 } },
      /zlibInflateOptions option "maxOutputLength" is not supported: .*maxPayload/,
    );
    refuses({ zlibInflateOptions: { level: 1 } }, /"level" is not supported: .*zlibDeflateOptions/);
    refuses({ zlibDeflateOptions: { flush: constants.Z_NO_FLUSH } }, /"flush" is not supported: .*§7\.2\.1/);
    refuses({ zlibDeflateOptions: { levle: 1 } }, /^unknown perMessageDeflate\.zlibDeflateOptions option "levle"$/);
    refuses({ zlibDeflateOptions: { strategy: 42 } }, /strategy must be one of/);
    refuses(
      { zlibDeflateOptions: { chunkSize: 16 } },
      /zlibDeflateOptions\.chunkSize must be an integer from 64 to 1048576/,
    );
    refuses(
      { zlibInflateOptions: { chunkSize: 64 * 1024 * 1024 } },
      /zlibInflateOptions\.chunkSize must be an integer/,
    );
    refuses({ zlibDeflateOptions: 3 }, /zlibDeflateOptions must be an object/);
  });

  it('refuses a setting given in two places, and concurrencyLimit that is not a positive integer', () => {
    refuses(
      { level: 1, zlibDeflateOptions: { level: 3 } },
      /perMessageDeflate\.level or perMessageDeflate\.zlibDeflateOptions\.level, not both/,
    );
    refuses({ memLevel: 8, zlibDeflateOptions: { memLevel: 7 } }, /memLevel, not both/);
    refuses(
      { limiter: new ZlibLimiter(2), concurrencyLimit: 2 },
      /limiter or ws's perMessageDeflate\.concurrencyLimit, not both/,
    );
    refuses({ concurrencyLimit: 0 }, /concurrencyLimit must be a positive integer, got 0/);
    refuses({ zlibDeflateOptions: { level: 12 } }, /perMessageDeflate\.level must be an integer from -1 to 9/);
  });

  it("takes ws's clientMaxWindowBits: true as the bare client_max_window_bits offer, and refuses false", () => {
    const offer = offerDeflateExtension(
      resolveDeflateOptions(
        {
          clientNoContextTakeover: true,
          serverNoContextTakeover: true,
          clientMaxWindowBits: true,
          serverMaxWindowBits: 10,
        },
        true,
      ),
    );
    assert.equal(
      formatExtensionList(offer.offer),
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits',
    );
    refuses({ clientMaxWindowBits: false }, /clientMaxWindowBits must be an integer from 8 to 15, got false/);
  });

  it('works end to end with the README options on both sides, against ws and between our own', async () => {
    const message = textLike(4096, 3).toString('latin1');
    const ours = await startServer({ perMessageDeflate: README_OPTIONS });
    const theirs = await startWsServer({ perMessageDeflate: README_OPTIONS });
    let wsClient: WsWebSocket | undefined;
    let ourClient: WebSocket | undefined;
    try {
      ours.wss.on('connection', (socket) =>
        socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
      );
      theirs.wss.on('connection', (socket) =>
        socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary })),
      );
      wsClient = await openWsClient(ours.url, { perMessageDeflate: README_OPTIONS });
      assert.match(wsClient.extensions, /permessage-deflate/);
      const echoed = nextMessage(wsClient);
      wsClient.send(message);
      assert.equal((await echoed).data.toString('latin1'), message);

      ourClient = await openOurClient(new WebSocket(theirs.url, { perMessageDeflate: README_OPTIONS }));
      assert.match(ourClient.extensions, /server_max_window_bits=10/);
      const back = nextMessage(ourClient);
      ourClient.send(message);
      assert.equal((await back).data.toString('latin1'), message);
    } finally {
      wsClient?.terminate();
      ourClient?.terminate();
      await ours.close();
      await theirs.close();
    }
  });
});
