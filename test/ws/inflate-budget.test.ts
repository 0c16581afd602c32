/**
 * The process-wide inflate budget: the bytes of inflated output that permessage-deflate messages
 * hold at once. Its rules (the largest message pays), every path that gives bytes back (delivered,
 * refused, failed, closed mid-message, evicted), and a storm of decompression bombs from raw
 * clients on loopback next to a healthy client.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CloseCode,
  DEFAULT_INFLATE_BUDGET,
  ErrorCode,
  InflateBudget,
  WebSocket,
  WebSocketError,
  WebSocketServer,
  defaultInflateBudget,
} from '../../src/ws/index.js';
import type { InflateBudgetHolder } from '../../src/ws/inflate-budget.js';
import { PerMessageDeflate, resolveDeflateOptions } from '../../src/ws/permessage-deflate.js';
import { ZlibLimiter } from '../../src/ws/zlib-limiter.js';
import { deflateMessage, textLike } from '../helpers/deflate.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, startServer } from '../helpers/ws-peers.js';
import { nextMessage, openOurClient } from './interop-shared.js';

const KiB = 1024;
const RSV1 = 0x40;

/** A holder that records its evictions. */
class FakeHolder implements InflateBudgetHolder {
  evictions = 0;
  evicted(): void {
    this.evictions++;
  }
}

/** The inflated output a message really holds: the chunks zlib gave it, read from its own list (none for a fake). */
function chunksHeld(holder: InflateBudgetHolder): number {
  const chunks = (holder as unknown as { inflateChunks?: Buffer[] }).inflateChunks ?? [];
  return chunks.reduce((sum, chunk) => sum + chunk.length, 0);
}

/**
 * A budget that records, at each charge, the bytes of inflated output its messages really hold
 * (their chunks, and the chunk being charged once it is accepted), and lets a test act on a charge.
 */
class WatchedBudget extends InflateBudget {
  peak = 0;
  onCharge: ((holder: InflateBudgetHolder) => void) | undefined;
  private readonly holdersSeen = new Set<InflateBudgetHolder>();

  override charge(holder: InflateBudgetHolder, bytes: number): boolean {
    this.holdersSeen.add(holder);
    const charged = super.charge(holder, bytes);
    this.peak = Math.max(this.peak, this.held() + (charged ? bytes : 0));
    this.onCharge?.(holder);
    return charged;
  }

  /** Bytes of inflated output held now by every message that ever charged this budget. */
  held(): number {
    let total = 0;
    for (const holder of this.holdersSeen) total += chunksHeld(holder);
    return total;
  }
}

describe('InflateBudget', () => {
  it('adds up charges and gives a message all its bytes back at once', () => {
    const budget = new InflateBudget(100);
    const a = new FakeHolder();
    const b = new FakeHolder();
    assert.ok(budget.charge(a, 30));
    assert.ok(budget.charge(a, 20));
    assert.ok(budget.charge(b, 50));
    assert.equal(budget.inflatingBytes, 100);
    assert.equal(budget.inflatingMessages, 2);
    budget.release(a);
    budget.release(a);
    assert.equal(budget.inflatingBytes, 50);
    assert.equal(budget.inflatingMessages, 1);
    budget.release(b);
    assert.equal(budget.inflatingBytes, 0);
  });

  it('makes room by evicting the largest messages first, giving their bytes back before telling them', () => {
    const budget = new InflateBudget(100);
    const a = new FakeHolder();
    const b = new FakeHolder();
    const c = new FakeHolder();
    assert.ok(budget.charge(a, 40));
    assert.ok(budget.charge(b, 35));
    assert.ok(budget.charge(c, 20));
    const told: [string, number][] = [];
    a.evicted = () => told.push(['a', budget.inflatingBytes]);
    b.evicted = () => told.push(['b', budget.inflatingBytes]);
    c.evicted = () => told.push(['c', budget.inflatingBytes]);
    // 95 + 10 > 100: the 40-byte message goes, and that is enough.
    assert.ok(budget.charge(c, 10));
    assert.deepEqual(told, [['a', 55]]);
    assert.equal(budget.inflatingBytes, 65);
    // Below what is held already, a new limit takes as many as it must, largest first.
    budget.limit = 20;
    const d = new FakeHolder();
    assert.ok(budget.charge(d, 5));
    assert.deepEqual(told, [
      ['a', 55],
      ['b', 30],
      ['c', 0],
    ]);
    assert.equal(budget.inflatingBytes, 5);
    assert.equal(budget.inflatingMessages, 1);
    assert.equal(budget.closedConnections, 3);
  });

  it('refuses the message that asks, charging nothing, when it would hold the most itself', () => {
    const budget = new InflateBudget(100);
    const other = new FakeHolder();
    const greedy = new FakeHolder();
    assert.ok(budget.charge(other, 40));
    assert.ok(budget.charge(greedy, 40));
    assert.equal(budget.charge(greedy, 30), false);
    assert.equal(other.evictions, 0);
    assert.equal(greedy.evictions, 0, 'the caller fails its own message; it is not told twice');
    assert.equal(budget.inflatingBytes, 80);
    assert.equal(budget.closedConnections, 1);
    // Alone and over the limit: refused too.
    const alone = new InflateBudget(10);
    assert.equal(alone.charge(new FakeHolder(), 11), false);
    assert.equal(alone.inflatingBytes, 0);
  });

  it('takes a new limit from the next charge on, and refuses a limit that is not a number ≥ 0', () => {
    const budget = new InflateBudget(100);
    const a = new FakeHolder();
    assert.ok(budget.charge(a, 80));
    budget.limit = 50;
    assert.equal(budget.inflatingBytes, 80);
    assert.equal(budget.charge(a, 1), false);
    budget.limit = Number.POSITIVE_INFINITY;
    assert.ok(budget.charge(a, 1e12));
    for (const bad of [-1, Number.NaN, '5' as unknown as number]) {
      assert.throws(() => new InflateBudget(bad), { name: 'TypeError', message: /inflateBudget/ });
      assert.throws(() => {
        budget.limit = bad;
      }, TypeError);
    }
    assert.equal(DEFAULT_INFLATE_BUDGET, 128 * 1024 * 1024);
    assert.equal(new InflateBudget().limit, DEFAULT_INFLATE_BUDGET);
    assert.equal(defaultInflateBudget.limit, DEFAULT_INFLATE_BUDGET);
  });

  it('is checked as a perMessageDeflate option at construction', () => {
    assert.throws(
      () =>
        new WebSocketServer({ noServer: true, perMessageDeflate: { inflateBudget: 1024 as unknown as InflateBudget } }),
      {
        name: 'TypeError',
        message: /perMessageDeflate\.inflateBudget/,
      },
    );
    assert.equal(resolveDeflateOptions(true, true)!.inflateBudget, defaultInflateBudget);
  });
});

describe('PerMessageDeflate under an inflate budget: every path gives the bytes back', () => {
  const parameters = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };

  function inflating(budget: InflateBudget, maxPayload: number): PerMessageDeflate {
    return new PerMessageDeflate(
      parameters,
      'server',
      resolveDeflateOptions({ inflateBudget: budget, limiter: new ZlibLimiter(4) }, true)!,
      maxPayload,
    );
  }

  function decompress(
    deflate: PerMessageDeflate,
    data: Uint8Array,
  ): Promise<{ error: WebSocketError | null; data: Buffer | undefined }> {
    return new Promise((resolve) => deflate.decompress(data, (error, inflated) => resolve({ error, data: inflated })));
  }

  it('delivered: charged while inflating, given back before the message is handed on', async () => {
    const budget = new WatchedBudget(1024 * KiB);
    const deflate = inflating(budget, 1024 * KiB);
    const message = textLike(200 * KiB, 1);
    let heldAtCallback = -1;
    const inflated = await new Promise<Buffer>((resolve, reject) =>
      deflate.decompress(deflateMessage(message), (error, data) => {
        heldAtCallback = budget.inflatingBytes;
        if (error) reject(error);
        else resolve(data!);
      }),
    );
    assert.ok(inflated.equals(message));
    assert.ok(budget.peak >= 200 * KiB, `peak ${budget.peak}`);
    assert.equal(heldAtCallback, 0);
    deflate.close();
  });

  it('refused: a bomb alone past the budget fails with 1013 and holds no more than the budget', async () => {
    const budget = new WatchedBudget(128 * KiB);
    const deflate = inflating(budget, 4 * 1024 * KiB);
    const { error } = await decompress(deflate, deflateMessage(Buffer.alloc(2 * 1024 * KiB)));
    assert.equal(error?.code, ErrorCode.InflateBudgetExceeded);
    assert.equal(error?.closeCode, CloseCode.TryAgainLater);
    assert.ok(budget.peak <= 128 * KiB && budget.peak > 64 * KiB, `peak ${budget.peak}`);
    assert.equal(budget.inflatingBytes, 0);
    assert.equal(budget.closedConnections, 1);
    deflate.close();
  });

  it('failed: data that does not inflate (1007) and output past maxPayload (1009)', async () => {
    const budget = new WatchedBudget(1024 * KiB);
    const deflate = inflating(budget, 64 * KiB);
    const invalid = await decompress(deflate, Buffer.from([0xff, 0xee, 0xdd, 0xcc]));
    assert.equal(invalid.error?.code, ErrorCode.InvalidCompressedData);
    assert.equal(budget.inflatingBytes, 0);
    const tooBig = await decompress(deflate, deflateMessage(Buffer.alloc(1024 * KiB)));
    assert.equal(tooBig.error?.code, ErrorCode.MessageTooBig);
    assert.ok(budget.peak > 0 && budget.peak <= 64 * KiB, `peak ${budget.peak}`);
    assert.equal(budget.inflatingBytes, 0);
    assert.equal(budget.inflatingMessages, 0);
    deflate.close();
  });

  it('closed mid-message: the connection closing between two pieces of output gives them back', async () => {
    const budget = new WatchedBudget(64 * 1024 * KiB);
    const deflate = inflating(budget, 64 * 1024 * KiB);
    // Close right after the first piece of output is charged, before zlib produces the next.
    budget.onCharge = () => {
      budget.onCharge = undefined;
      queueMicrotask(() => deflate.close());
    };
    const { error } = await decompress(deflate, deflateMessage(Buffer.alloc(8 * 1024 * KiB)));
    assert.equal(error?.code, ErrorCode.ConnectionClosed);
    assert.ok(budget.peak > 0 && budget.peak < 8 * 1024 * KiB, `peak ${budget.peak}`);
    assert.equal(budget.inflatingBytes, 0);
    assert.equal(budget.inflatingMessages, 0);
  });

  it('evicted: a smaller message needing room fails the larger one with 1013 and takes only what it needs', async () => {
    const budget = new WatchedBudget(64 * 1024 * KiB);
    const deflate = inflating(budget, 64 * 1024 * KiB);
    const small = new FakeHolder();
    // Once the message holds 64 KiB, another one (smaller) asks for room the budget no longer has.
    budget.onCharge = (holder) => {
      if (holder !== deflate || budget.inflatingBytes < 64 * KiB) return;
      budget.onCharge = undefined;
      queueMicrotask(() => {
        budget.limit = budget.inflatingBytes;
        assert.ok(budget.charge(small, 1));
      });
    };
    const { error } = await decompress(deflate, deflateMessage(Buffer.alloc(8 * 1024 * KiB)));
    assert.equal(error?.code, ErrorCode.InflateBudgetExceeded);
    assert.equal(small.evictions, 0);
    assert.equal(budget.inflatingBytes, 1, 'only the small message still holds bytes');
    budget.release(small);
    assert.equal(budget.inflatingMessages, 0);
    // The connection goes on: its next message inflates normally.
    budget.limit = 1024 * KiB;
    const next = await decompress(deflate, deflateMessage(Buffer.from('after')));
    assert.equal(next.data?.toString(), 'after');
    deflate.close();
  });
});

describe('a storm of decompression bombs over loopback', () => {
  it('holds no more than the budget, closes every bomb with 1013, and still serves a healthy client its message', async () => {
    const budget = new WatchedBudget(256 * KiB);
    // Four inflations at once: any message under 256 KiB / 4 can never be the one to pay.
    const server = await startServer({
      maxPayload: 1024 * KiB,
      perMessageDeflate: { inflateBudget: budget, limiter: new ZlibLimiter(4) },
    });
    const serverErrors: string[] = [];
    server.wss.on('connection', (socket) => {
      socket.on('error', (error) => serverErrors.push(error instanceof WebSocketError ? error.code : error.message));
      socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
    });
    // Each bomb inflates to 900 KiB: within maxPayload, but more than the whole budget.
    const bomb = clientFrame(0x2, deflateMessage(Buffer.alloc(900 * KiB)), { rsv: RSV1 });
    const bombers: RawClient[] = [];
    let healthy: WebSocket | undefined;
    let sampled = 0;
    let sampling = true;
    const sample = (): void => {
      sampled = Math.max(sampled, budget.held());
      if (sampling) setImmediate(sample);
    };
    try {
      for (let i = 0; i < 12; i++) {
        const client = await RawClient.open(
          server.port,
          '/',
          'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n',
        );
        assert.match(client.response, /permessage-deflate/);
        bombers.push(client);
      }
      healthy = await openOurClient(new WebSocket(server.url, { perMessageDeflate: { threshold: 0 } }));
      const message = textLike(20 * KiB, 7);
      sample();
      const echoed = nextMessage(healthy);
      for (const client of bombers) client.write(bomb);
      healthy.send(message);
      const codes = await Promise.all(bombers.map((client) => client.readCloseCode()));
      assert.deepEqual(codes, Array(12).fill(1013));
      assert.ok((await echoed).data.equals(message));
      assert.equal(healthy.readyState, WebSocket.OPEN);
      sampling = false;

      assert.ok(budget.peak <= 256 * KiB, `held ${budget.peak} bytes at most, after some charge`);
      assert.ok(sampled <= 256 * KiB, `sampled ${sampled}`);
      assert.ok(budget.peak >= 128 * KiB, `peak ${budget.peak}: the bombs did fill the budget`);
      assert.deepEqual(serverErrors, Array(12).fill(ErrorCode.InflateBudgetExceeded));
      assert.equal(budget.closedConnections, 12);
      assert.equal(budget.inflatingBytes, 0);
      assert.equal(budget.inflatingMessages, 0);
    } finally {
      sampling = false;
      for (const client of bombers) client.destroy();
      healthy?.terminate();
      await server.close();
    }
  });
});
