import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClusterAdapter, ClusterMessageType, type ClusterMessage } from '../../src/adapter/index.js';
import { PacketType, type Packet } from '../../src/protocol/socket-io/index.js';
import { Bus, BusAdapter } from './bus-adapter.js';
import { RecordingNamespace } from './fixtures.js';
import { sleep, withTimeout } from '../helpers/wait.js';

/** Waits `ms`, then lets the bus deliver everything in flight (replies to replies included). */
async function tick(ms = 20): Promise<void> {
  await sleep(ms);
  for (let round = 0; round < 10; round++) await new Promise((resolve) => setImmediate(resolve));
}

async function cluster(size: number) {
  const bus = new Bus();
  const nodes: { nsp: RecordingNamespace; adapter: BusAdapter }[] = [];
  for (let i = 0; i < size; i++) {
    const nsp = new RecordingNamespace('/');
    const adapter = new BusAdapter(nsp, bus);
    nsp.adapter = adapter;
    await adapter.init();
    nodes.push({ nsp, adapter });
  }
  await tick();
  return {
    bus,
    nodes,
    async close() {
      for (const node of nodes) await node.adapter.close();
      bus.adapters.clear();
    },
  };
}

function event(...data: unknown[]): Packet {
  return { type: PacketType.Event, nsp: '/', data };
}

describe('ClusterAdapter', () => {
  test('nodes find each other through heartbeats; a closed node leaves the count', async () => {
    const c = await cluster(3);
    for (const node of c.nodes) assert.equal(await node.adapter.serverCount(), 3);
    await c.nodes[2]?.adapter.close();
    await tick();
    assert.equal(await c.nodes[0]?.adapter.serverCount(), 2);
    await c.close();
  });

  test('a node that goes silent is dropped after heartbeatTimeout', async () => {
    const bus = new Bus();
    const nodes = [new RecordingNamespace('/'), new RecordingNamespace('/')].map((nsp) => {
      const adapter = new BusAdapter(nsp, bus, 150);
      nsp.adapter = adapter;
      return adapter;
    });
    for (const adapter of nodes) await adapter.init();
    await tick();
    const [one, two] = nodes as [BusAdapter, BusAdapter];
    assert.equal(await one.serverCount(), 2);
    // The second node vanishes without a goodbye (a crash): the first stops hearing it.
    bus.adapters.delete(two);
    await two.close();
    await tick(400);
    assert.equal(await one.serverCount(), 1);
    await one.close();
  });

  test('a broadcast reaches matching sockets on every node; local stays local', async () => {
    const c = await cluster(2);
    const [one, two] = c.nodes;
    assert.ok(one && two);
    const a = one.nsp.connect('a', ['room']);
    const b = two.nsp.connect('b', ['room']);
    const other = two.nsp.connect('other');
    one.adapter.broadcast(event('hi', Buffer.from([7])), { rooms: new Set(['room']) });
    one.adapter.broadcast(event('local'), { rooms: new Set(['room']), flags: { local: true } });
    await tick();
    assert.deepEqual(a.texts(), ['51-["hi",{"_placeholder":true,"num":0}]', '2["local"]']);
    assert.deepEqual(b.texts(), ['51-["hi",{"_placeholder":true,"num":0}]']);
    assert.deepEqual([...(b.deliveries[0]?.chunks[1] as Buffer)], [7]);
    assert.equal(other.texts().length, 0);
    await c.close();
  });

  test('broadcastWithAck counts clients on every node and relays their acks', async () => {
    const c = await cluster(2);
    const [one, two] = c.nodes;
    assert.ok(one && two);
    one.nsp.connect('a');
    const b = two.nsp.connect('b');
    const counts: number[] = [];
    const responses: unknown[] = [];
    one.adapter.broadcastWithAck(
      event('q'),
      { rooms: new Set() },
      (n) => counts.push(n),
      (r) => responses.push(r),
    );
    await tick();
    const [ackId] = b.acks.keys();
    assert.notEqual(ackId, undefined);
    b.acks.get(ackId as number)?.('answer from b');
    await tick();
    assert.deepEqual(counts.sort(), [1, 1]);
    assert.deepEqual(responses, ['answer from b']);
    await c.close();
  });

  test('fetchSockets gathers every node; socketsJoin and disconnectSockets reach remote sockets', async () => {
    const c = await cluster(3);
    const [one, two, three] = c.nodes;
    assert.ok(one && two && three);
    one.nsp.connect('a', ['x']);
    const b = two.nsp.connect('b', ['x']);
    three.nsp.connect('c');
    const found = await one.adapter.fetchSockets({ rooms: new Set(['x']) });
    assert.deepEqual(found.map((socket) => socket.id).sort(), ['a', 'b']);
    assert.ok(found.find((socket) => socket.id === 'b')?.rooms.has('x'));
    one.adapter.addSockets({ rooms: new Set(['x']) }, ['y']);
    await tick();
    assert.ok(b.rooms.has('y'));
    one.adapter.disconnectSockets({ rooms: new Set(['y']) }, false);
    await tick();
    assert.equal(b.disconnectedWith, false);
    await c.close();
  });

  test('socketsLeave (delSockets) takes remote sockets out of rooms too, and only those matching', async () => {
    const c = await cluster(3);
    try {
      const [one, two, three] = c.nodes;
      assert.ok(one && two && three);
      const a = one.nsp.connect('a', ['x', 'y']);
      const b = two.nsp.connect('b', ['x', 'y']);
      const other = three.nsp.connect('c', ['y']);
      one.adapter.delSockets({ rooms: new Set(['x']) }, ['y']);
      await tick();
      assert.deepEqual([a.rooms.has('y'), b.rooms.has('y')], [false, false], 'local and remote members of x left y');
      assert.ok(b.rooms.has('x'), 'rooms not named are kept');
      assert.ok(other.rooms.has('y'), 'a socket outside x keeps y');
      const left = await one.adapter.fetchSockets({ rooms: new Set(['y']) });
      assert.deepEqual(
        left.map((socket) => socket.id),
        ['c'],
      );
    } finally {
      await c.close();
    }
  });

  test('fetchSockets rejects when a node does not answer in time', async () => {
    const c = await cluster(2);
    const [one, two] = c.nodes;
    assert.ok(one && two);
    // The second node stops listening but has not said goodbye: it still counts.
    c.bus.adapters.delete(two.adapter);
    await assert.rejects(one.adapter.fetchSockets({ rooms: new Set(), flags: { timeout: 50 } }), /timeout/);
    await c.close();
  });

  test('serverSideEmit reaches the other nodes, and their answers come back', async () => {
    const c = await cluster(3);
    const [one, two, three] = c.nodes;
    assert.ok(one && two && three);
    one.adapter.serverSideEmit(['hello', 1]);
    await tick();
    assert.deepEqual(two.nsp.serverSideEvents, [['hello', 1]]);
    assert.deepEqual(three.nsp.serverSideEvents, [['hello', 1]]);
    assert.deepEqual(one.nsp.serverSideEvents, []);
    const answers = await new Promise<unknown[]>((resolve, reject) => {
      one.adapter.serverSideEmit([
        'ask',
        (err: Error | null, responses: unknown[]) => (err ? reject(err) : resolve(responses)),
      ]);
      setTimeout(() => {
        for (const node of [two, three]) {
          const last = node.nsp.serverSideEvents.at(-1) as unknown[];
          (last.at(-1) as (answer: string) => void)(`from ${node.adapter.uid.slice(0, 4)}`);
        }
      }, 20);
    });
    assert.equal(answers.length, 2);
    await c.close();
  });

  test('malformed bus messages are ignored without throwing', async () => {
    const c = await cluster(2);
    const [one] = c.nodes;
    assert.ok(one);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      for (const junk of [
        null,
        42,
        { nsp: '/' },
        { uid: 'peer', nsp: '/', type: 3 },
        { uid: 'peer', nsp: '/', type: 7, data: {} },
      ]) {
        assert.doesNotThrow(() => one.adapter.onMessage(junk as unknown as ClusterMessage));
      }
      await tick();
      assert.ok(warnings.length >= 1);
    } finally {
      process.off('warning', onWarning);
      await c.close();
    }
  });

  test('contradictory timing options are refused', () => {
    const nsp = new RecordingNamespace('/');
    assert.throws(() => new BusAdapter(nsp, new Bus(), 50), TypeError);
  });
});

describe('ClusterAdapter wire format and failures', () => {
  test('acknowledgements travel as one value, as the official cluster adapter sends and reads them', async () => {
    const c = await cluster(2);
    try {
      const [one, two] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0]];
      const b = two.nsp.connect('b');
      const responses: unknown[] = [];
      one.adapter.broadcastWithAck(
        event('q'),
        { rooms: new Set() },
        () => undefined,
        (...args) => responses.push(args),
      );
      await tick();
      const [ackId] = b.acks.keys();
      b.acks.get(ackId!)?.('text answer', 'ignored second argument');
      await tick();
      const ack = c.bus.replies.find((reply) => reply.type === ClusterMessageType.BroadcastAck);
      assert.equal(ack?.data.packet, 'text answer', 'one value on the wire, not the list of arguments');
      assert.deepEqual(responses, [['text answer']]);

      // A string answer from an official node arrives whole, not split into characters.
      const answers = new Promise<unknown[]>((resolve, reject) =>
        one.adapter.serverSideEmit(['ask', (err: Error | null, got: unknown[]) => (err ? reject(err) : resolve(got))]),
      );
      await tick();
      const request = two.nsp.serverSideEvents.at(-1)!;
      assert.equal(typeof request.at(-1), 'function');
      const requestId = c.bus.lastRequestId(ClusterMessageType.ServerSideEmit);
      one.adapter.onResponse({
        uid: two.adapter.uid,
        nsp: '/',
        type: ClusterMessageType.ServerSideEmitResponse,
        data: { requestId, packet: 'official' },
      });
      assert.deepEqual(await answers, ['official']);
    } finally {
      await c.close();
    }
  });

  test('serverSideEmit with an ack reports a node count that fails to its callback, never as an unhandled rejection', async () => {
    const bus = new Bus();
    const nsp = new RecordingNamespace('/');
    const adapter = new (class extends BusAdapter {
      override serverCount(): Promise<number> {
        return Promise.reject(new Error('broker away'));
      }
    })(nsp, bus);
    nsp.adapter = adapter;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const [err, responses] = await withTimeout(
        new Promise<[unknown, unknown[]]>((resolve) =>
          adapter.serverSideEmit(['ask', (e: unknown, got: unknown[]) => resolve([e, got])]),
        ),
        'the serverSideEmit callback',
        2000,
      );
      assert.match(String(err), /broker away/);
      assert.deepEqual(responses, []);
      await tick();
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await adapter.close();
    }
  });

  test('an adapter whose transport counts nodes keeps nothing per peer it hears from', async () => {
    const nsp = new RecordingNamespace('/');
    const adapter = new (class extends ClusterAdapter {
      protected doPublish(): Promise<void> {
        return Promise.resolve();
      }
      protected doPublishResponse(): Promise<void> {
        return Promise.resolve();
      }
      override serverCount(): Promise<number> {
        return Promise.resolve(1);
      }
    })(nsp);
    nsp.adapter = adapter;
    try {
      for (let i = 0; i < 1000; i++) {
        const uid = `peer-${i}`;
        adapter.onMessage({ uid, nsp: '/', type: ClusterMessageType.ServerSideEmit, data: { packet: ['hi'] } });
      }
      assert.equal(nsp.serverSideEvents.length, 1000);
      for (const value of Object.values(adapter)) {
        if (!(value instanceof Map) && !(value instanceof Set)) continue;
        const keys = [...(value as Map<unknown, unknown>).keys()].map(String);
        assert.ok(!keys.some((key) => key.startsWith('peer-')), 'no collection of the adapter names a peer');
      }
    } finally {
      await adapter.close();
    }
  });

  test('with heartbeats, an emitter is never counted as a node', async () => {
    const c = await cluster(2);
    try {
      const [one] = c.nodes as [(typeof c.nodes)[0]];
      one.adapter.onMessage({
        uid: 'emitter',
        nsp: '/',
        type: ClusterMessageType.ServerSideEmit,
        data: { packet: [] },
      });
      assert.equal(await one.adapter.serverCount(), 2);
    } finally {
      await c.close();
    }
  });
});
