import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { constants, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { CloseCode } from '../../src/protocol/close-codes.js';
import { ErrorCode, WebSocketError } from '../../src/protocol/errors.js';
import type { DeflateParameters } from '../../src/protocol/permessage-deflate.js';
import {
  PerMessageDeflate,
  resolveDeflateOptions,
  type PerMessageDeflateOptions,
} from '../../src/ws/permessage-deflate.js';
import { ZlibLimiter } from '../../src/ws/zlib-limiter.js';
import { PeakInflateBudget, textLike } from '../helpers/deflate.js';

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const DEFAULTS: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function pair(
  parameters: Partial<DeflateParameters> = {},
  options: PerMessageDeflateOptions = {},
  maxPayload = 64 * 1024 * 1024,
): { server: PerMessageDeflate; client: PerMessageDeflate } {
  const agreed = { ...DEFAULTS, ...parameters };
  const resolved = resolveDeflateOptions(options, true)!;
  return {
    server: new PerMessageDeflate(agreed, 'server', resolved, maxPayload),
    client: new PerMessageDeflate(agreed, 'client', resolved, maxPayload),
  };
}

function compress(deflate: PerMessageDeflate, data: Uint8Array, fin = true): Promise<Buffer[]> {
  return new Promise((resolve, reject) =>
    deflate.compress(data, fin, (error, fragments) => (error ? reject(error) : resolve(fragments!))),
  );
}

function decompress(deflate: PerMessageDeflate, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    deflate.decompress(data, (error, out) => (error ? reject(error) : resolve(out!))),
  );
}

/** Inflates one sync-flushed message with a fresh zlib context (no final block, so no "end of file"). */
function inflateAlone(data: Uint8Array): Buffer {
  return inflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
}

function rejectsWith(code: ErrorCode, closeCode: number): (error: unknown) => boolean {
  return (error) => error instanceof WebSocketError && error.code === code && error.closeCode === closeCode;
}

describe('PerMessageDeflate: RFC 7692 §7.2 compression', () => {
  it('strips the 00 00 ff ff trailer, which a plain raw inflater needs back (§7.2.1, §7.2.2)', async () => {
    const { server } = pair();
    const message = textLike(5000, 1);
    const fragments = await compress(server, message);
    const joined = Buffer.concat(fragments);
    assert.ok(joined.length < message.length / 2);
    assert.notDeepEqual(joined.subarray(-4), TRAILER);
    assert.deepEqual(inflateAlone(Buffer.concat([joined, TRAILER])), message);
    server.close();
  });

  it('round-trips every window size, with and without context takeover, in both directions', async () => {
    for (let bits = 8; bits <= 15; bits++) {
      for (const noTakeover of [false, true]) {
        const { server, client } = pair({
          serverMaxWindowBits: bits,
          clientMaxWindowBits: bits,
          serverNoContextTakeover: noTakeover,
          clientNoContextTakeover: noTakeover,
        });
        for (let i = 0; i < 6; i++) {
          const message = textLike(100 + i * 997, bits * 10 + i);
          assert.deepEqual(await decompress(client, Buffer.concat(await compress(server, message))), message);
          assert.deepEqual(await decompress(server, Buffer.concat(await compress(client, message))), message);
        }
        server.close();
        client.close();
      }
    }
  });

  it('stays within an 8-bit window although zlib compresses with 9 bits (§7.1.2)', async () => {
    // The peer's decompressor has 256 bytes of window; feed it in 64-byte output steps so every
    // back-reference has to come from that window, across messages (context takeover).
    const { server } = pair({ serverMaxWindowBits: 8 });
    const inflater = createInflateRaw({ windowBits: 8, chunkSize: 64 });
    const output: Buffer[] = [];
    inflater.on('data', (chunk: Buffer) => output.push(chunk));
    const errors: Error[] = [];
    inflater.on('error', (error) => errors.push(error));
    const sent: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      // Repeats at distances from 1 to ~600 bytes, within and across messages.
      const message = Buffer.concat([textLike(300, i % 3), textLike(200, i % 2), textLike(300, i % 3)]);
      sent.push(message);
      const compressed = Buffer.concat(await compress(server, message));
      await new Promise<void>((resolve) => {
        inflater.write(compressed);
        inflater.write(TRAILER);
        inflater.flush(constants.Z_SYNC_FLUSH, () => resolve());
      });
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(Buffer.concat(output), Buffer.concat(sent));
    inflater.close();
    server.close();
  });

  it('detects a window larger than agreed: a 10-bit stream fails an 8-bit decompressor', async () => {
    // The check above can fail: a back-reference further than 256 bytes into the previous message
    // must come from the decompressor's window, which an 8-bit one does not have.
    const shared = textLike(300, 1);
    const wide = new PerMessageDeflate(
      { ...DEFAULTS, serverMaxWindowBits: 10 },
      'server',
      resolveDeflateOptions(true, true)!,
      1 << 20,
    );
    const narrow = new PerMessageDeflate(
      { ...DEFAULTS, serverMaxWindowBits: 8 },
      'client',
      resolveDeflateOptions(true, true)!,
      1 << 20,
    );
    const first = Buffer.concat([shared, randomBytes(400)]);
    assert.deepEqual(await decompress(narrow, Buffer.concat(await compress(wide, first))), first);
    await assert.rejects(
      decompress(narrow, Buffer.concat(await compress(wide, shared))),
      rejectsWith(ErrorCode.InvalidCompressedData, CloseCode.InvalidPayload),
    );
    wide.close();
    narrow.close();
  });

  it('reuses the window across messages with context takeover, and not without it (§7.1.1)', async () => {
    const message = textLike(4000, 7);
    const takeover = pair().server;
    const first = Buffer.concat(await compress(takeover, message));
    const second = Buffer.concat(await compress(takeover, message));
    assert.ok(second.length < first.length / 4, `${second.length} vs ${first.length}`);
    const reset = pair({ serverNoContextTakeover: true }).server;
    const a = Buffer.concat(await compress(reset, message));
    const b = Buffer.concat(await compress(reset, message));
    assert.deepEqual(a, b);
    // Each message then inflates on its own.
    assert.deepEqual(inflateAlone(Buffer.concat([b, TRAILER])), message);
    takeover.close();
    reset.close();
  });

  it('compresses a fragmented message as one stream; the trailer goes only at the end', async () => {
    const { server, client } = pair();
    const parts = [textLike(3000, 1), textLike(10, 2), textLike(5000, 3)];
    const payloads: Buffer[] = [];
    for (let i = 0; i < parts.length; i++)
      payloads.push(...(await compress(server, parts[i]!, i === parts.length - 1)));
    const head = Buffer.concat(payloads.slice(0, -1));
    assert.deepEqual(head.subarray(-4), TRAILER, 'a non-final fragment ends on its sync flush');
    assert.deepEqual(await decompress(client, Buffer.concat(payloads)), Buffer.concat(parts));
    server.close();
    client.close();
  });

  it('cuts a large compressed message into several frame payloads of at most 64 KiB', async () => {
    const { server, client } = pair();
    const message = randomBytes(1024 * 1024);
    const fragments = await compress(server, message);
    assert.ok(fragments.length >= 16, `${fragments.length} fragments`);
    for (const fragment of fragments) assert.ok(fragment.length <= 64 * 1024 && fragment.length > 0);
    assert.deepEqual(await decompress(client, Buffer.concat(fragments)), message);
    server.close();
    client.close();
  });

  it('compresses an empty message into a payload that inflates to nothing', async () => {
    const { server, client } = pair();
    const fragments = await compress(server, new Uint8Array(0));
    assert.equal(fragments.length, 1);
    assert.equal((await decompress(client, fragments[0]!)).length, 0);
    // §7.2.3.6: a single 0x00 byte is an empty stored block's start; an empty payload works too.
    assert.equal((await decompress(client, Buffer.alloc(0))).length, 0);
    server.close();
    client.close();
  });

  it('calls back in call order when many messages are queued at once', async () => {
    const { server, client } = pair({}, { limiter: new ZlibLimiter(2) });
    const messages = Array.from({ length: 30 }, (_, i) => textLike(50 + ((i * 3517) % 20000), i));
    const order: number[] = [];
    const compressed = await Promise.all(
      messages.map((m, i) => compress(server, m).then((f) => (order.push(i), Buffer.concat(f)))),
    );
    assert.deepEqual(
      order,
      messages.map((_, i) => i),
    );
    const inflated = await Promise.all(compressed.map((c) => decompress(client, c)));
    assert.deepEqual(inflated, messages);
    server.close();
    client.close();
  });

  it('inflates a message that ends with a BFINAL block, and the next one (§7.2.3.4)', async () => {
    const { client } = pair();
    const first = textLike(2000, 4);
    const second = textLike(1500, 5);
    assert.deepEqual(await decompress(client, deflateRawSync(first)), first);
    assert.deepEqual(await decompress(client, deflateRawSync(second)), second);
    client.close();
  });
});

describe('PerMessageDeflate: limits and bad input', () => {
  // What the implementation holds, not process memory: the inflate budget is charged every chunk of output a
  // message keeps while it inflates, so its peak is exact where a heap figure depends on when GC runs.
  it('fails a bomb with 1009 as soon as maxPayload is passed, never holding more than maxPayload', async () => {
    const bomb = deflateRawSync(Buffer.alloc(10 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < 20 * 1024);
    const maxPayload = 1024 * 1024;
    const budget = new PeakInflateBudget();
    const limited = pair({}, { inflateBudget: budget }, maxPayload).client;
    await assert.rejects(decompress(limited, bomb), rejectsWith(ErrorCode.MessageTooBig, CloseCode.MessageTooBig));
    assert.ok(budget.peak > 0 && budget.peak <= maxPayload, `held ${budget.peak} bytes of inflated output`);
    assert.equal(budget.inflatingBytes, 0, 'the failed message gave its bytes back');
    // The same measure sees the whole 10 MiB when the limit allows it: the check can fail.
    const roomyBudget = new PeakInflateBudget();
    const unlimited = pair({}, { inflateBudget: roomyBudget }, 64 * 1024 * 1024).client;
    assert.equal((await decompress(unlimited, bomb)).length, 10 * 1024 * 1024);
    assert.equal(roomyBudget.peak, 10 * 1024 * 1024);
    assert.equal(roomyBudget.inflatingBytes, 0, 'the delivered message gave its bytes back');
    limited.close();
    unlimited.close();
  });

  it('counts maxPayload on the inflated size exactly', async () => {
    const message = textLike(10_000, 3);
    const compressed = deflateRawSync(message);
    const exact = pair({}, {}, 10_000).client;
    assert.deepEqual(await decompress(exact, compressed), message);
    const below = pair({}, {}, 9_999).client;
    await assert.rejects(decompress(below, compressed), rejectsWith(ErrorCode.MessageTooBig, CloseCode.MessageTooBig));
    exact.close();
    below.close();
  });

  it('fails data that does not inflate with 1007, and keeps working for later messages', async () => {
    const { client } = pair();
    await assert.rejects(
      decompress(client, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00])),
      rejectsWith(ErrorCode.InvalidCompressedData, CloseCode.InvalidPayload),
    );
    const message = textLike(3000, 9);
    assert.deepEqual(await decompress(client, deflateRawSync(message)), message);
    client.close();
  });

  it('answers pending work with ERR_CONNECTION_CLOSED on close and gives back limiter slots', async () => {
    const limiter = new ZlibLimiter(1);
    const { server, client } = pair({}, { limiter });
    const pending = [
      compress(server, randomBytes(256 * 1024)),
      compress(server, textLike(100, 1)),
      decompress(client, deflateRawSync(textLike(5000, 2))),
    ];
    server.close();
    client.close();
    for (const result of await Promise.allSettled(pending)) {
      assert.equal(result.status, 'rejected');
      const reason: unknown = result.reason;
      assert.ok(reason instanceof WebSocketError && reason.code === ErrorCode.ConnectionClosed, String(reason));
    }
    await assert.rejects(
      compress(server, textLike(10, 1)),
      (error: unknown) => error instanceof WebSocketError && error.code === ErrorCode.ConnectionClosed,
    );
    // The limiter is free again: another connection compresses.
    const other = pair({}, { limiter }).server;
    assert.ok((await compress(other, textLike(2000, 1))).length > 0);
    assert.equal(limiter.active, 0);
    other.close();
  });

  it('validates its options', () => {
    assert.equal(resolveDeflateOptions(undefined, false), undefined);
    assert.equal(resolveDeflateOptions(false, true), undefined);
    assert.equal(resolveDeflateOptions(true, false)!.threshold, 1024);
    assert.equal(resolveDeflateOptions(undefined, true)!.memLevel, 8);
    for (const bad of [
      { level: 10 },
      { level: -2 },
      { memLevel: 0 },
      { memLevel: 10 },
      { threshold: -1 },
      { threshold: 1.5 },
      { serverMaxWindowBits: 16 },
      { clientMaxWindowBits: 7 },
    ]) {
      assert.throws(() => resolveDeflateOptions(bad, true), TypeError, JSON.stringify(bad));
    }
  });
});
