import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InMemoryAdapter } from '../../src/adapter/index.js';
import { PacketType, type Packet } from '../../src/protocol/socket-io/index.js';
import { RecordingNamespace } from './fixtures.js';
import { sleep } from '../helpers/wait.js';

function setup(recovery?: { maxDisconnectionDuration: number }) {
  const nsp = new RecordingNamespace('/chat', recovery);
  const adapter = new InMemoryAdapter(nsp);
  nsp.adapter = adapter;
  const a = nsp.connect('a', ['red', 'blue']);
  const b = nsp.connect('b', ['blue']);
  const c = nsp.connect('c', ['green']);
  return { nsp, adapter, a, b, c };
}

function event(...data: unknown[]): Packet {
  return { type: PacketType.Event, nsp: '/', data };
}

describe('InMemoryAdapter rooms', () => {
  test('addAll, del and delAll keep rooms and sids in step, with room events', () => {
    const { adapter } = setup();
    const seen: string[] = [];
    adapter.on('create-room', (room) => seen.push(`create ${room}`));
    adapter.on('join-room', (room, id) => seen.push(`join ${room} ${id}`));
    adapter.on('leave-room', (room, id) => seen.push(`leave ${room} ${id}`));
    adapter.on('delete-room', (room) => seen.push(`delete ${room}`));
    adapter.addAll('c', new Set(['yellow', 'green']));
    adapter.del('c', 'yellow');
    adapter.delAll('a');
    assert.deepEqual(seen, [
      'create yellow',
      'join yellow c',
      'leave yellow c',
      'delete yellow',
      'leave a a',
      'delete a',
      'leave red a',
      'delete red',
      'leave blue a',
    ]);
    assert.deepEqual([...(adapter.socketRooms('c') ?? [])], ['c', 'green']);
    assert.equal(adapter.socketRooms('a'), undefined);
    assert.deepEqual([...(adapter.rooms.get('blue') ?? [])], ['b']);
  });

  test('sockets() is the union of rooms, or everyone', async () => {
    const { adapter } = setup();
    assert.deepEqual([...(await adapter.sockets(new Set(['blue', 'green'])))].sort(), ['a', 'b', 'c']);
    assert.deepEqual([...(await adapter.sockets(new Set(['red'])))], ['a']);
    assert.deepEqual([...(await adapter.sockets(new Set()))].sort(), ['a', 'b', 'c']);
    assert.equal(await adapter.serverCount(), 1);
  });
});

describe('InMemoryAdapter broadcast', () => {
  test('rooms are a union, except removes, each recipient once', () => {
    const { adapter, a, b, c } = setup();
    adapter.broadcast(event('x'), { rooms: new Set(['red', 'blue']), except: new Set(['b']) });
    assert.deepEqual(a.texts(), ['2/chat,["x"]']);
    assert.deepEqual(b.texts(), []);
    assert.deepEqual(c.texts(), []);
    adapter.broadcast(event('y'), { rooms: new Set(), except: new Set(['blue']) });
    assert.deepEqual(c.texts(), ['2/chat,["y"]']);
    assert.equal(a.texts().length, 1);
  });

  test('broadcasts to several rooms from within another reach each recipient once, and so does the outer one', () => {
    const { adapter, a, b, c } = setup();
    adapter.addAll('a', new Set(['green']));
    // a and b answer the outer broadcast with one of their own, to two rooms.
    for (const socket of [a, b]) {
      const deliver = socket.deliver.bind(socket);
      socket.deliver = (packet, chunks, flags) => {
        deliver(packet, chunks, flags);
        if ((packet.data as unknown[])[0] === 'outer') {
          adapter.broadcast(event(`from ${socket.id}`), { rooms: new Set(['blue', 'green']) });
        }
      };
    }
    adapter.broadcast(event('outer'), { rooms: new Set(['red', 'blue', 'green']) });
    assert.deepEqual(a.texts(), ['2/chat,["outer"]', '2/chat,["from a"]', '2/chat,["from b"]']);
    assert.deepEqual(b.texts(), ['2/chat,["from a"]', '2/chat,["outer"]', '2/chat,["from b"]']);
    assert.deepEqual(c.texts(), ['2/chat,["from a"]', '2/chat,["from b"]', '2/chat,["outer"]']);
    // The next walks start afresh: every recipient again, once.
    adapter.broadcast(event('again'), { rooms: new Set(['green', 'blue']) });
    for (const socket of [a, b, c]) assert.deepEqual(socket.texts().slice(3), ['2/chat,["again"]']);
  });

  test('encodes once: every recipient gets the very same string and buffers', () => {
    const { adapter, a, b, c } = setup();
    const payload = Buffer.from('shared');
    adapter.broadcast(event('file', { payload }), { rooms: new Set() });
    const [first, ...others] = [a, b, c].map((socket) => socket.deliveries[0]);
    assert.ok(first);
    assert.equal(first.chunks.length, 2);
    assert.equal(first.chunks[1], payload, 'the attachment is the caller buffer, not a copy');
    for (const other of others) {
      assert.equal(other?.chunks, first.chunks);
      assert.equal(other?.packet, first.packet);
    }
  });

  test('flags reach the recipients', () => {
    const { adapter, a } = setup();
    adapter.broadcast(event('v'), { rooms: new Set(['red']), flags: { volatile: true, compress: false } });
    assert.deepEqual(a.deliveries[0]?.flags, { volatile: true, compress: false });
  });

  test('broadcastWithAck registers one ack id on every recipient and reports the count', () => {
    const { adapter, a, b, c } = setup();
    const responses: unknown[] = [];
    let count = -1;
    adapter.broadcastWithAck(
      event('q'),
      { rooms: new Set(['blue']) },
      (n) => (count = n),
      (answer) => responses.push(answer),
    );
    assert.equal(count, 2);
    assert.deepEqual(a.texts(), ['2/chat,0["q"]']);
    assert.deepEqual(b.texts(), ['2/chat,0["q"]']);
    assert.equal(c.texts().length, 0);
    a.acks.get(0)?.('from a');
    b.acks.get(0)?.('from b');
    assert.deepEqual(responses, ['from a', 'from b']);
  });
});

test("broadcastWithAck with a timeout frees the recipients' callbacks once it passes", async () => {
  const { adapter, a, b } = setup();
  adapter.broadcastWithAck(
    event('q'),
    { rooms: new Set(['blue']), flags: { timeout: 20 } },
    () => {},
    () => {},
  );
  assert.equal(a.acks.size, 1);
  a.acks.get(0)?.('answered');
  await sleep(40);
  assert.equal(b.acks.size, 0, 'the silent recipient holds no callback any more');
});

describe('InMemoryAdapter socket operations', () => {
  test('fetchSockets, addSockets, delSockets, disconnectSockets act on the matching sockets only', async () => {
    const { adapter, a, b, c } = setup();
    const found = await adapter.fetchSockets({ rooms: new Set(['blue']), except: new Set(['a']) });
    assert.deepEqual(
      found.map((socket) => socket.id),
      ['b'],
    );
    adapter.addSockets({ rooms: new Set(['blue']) }, ['vip']);
    assert.deepEqual([...(adapter.rooms.get('vip') ?? [])].sort(), ['a', 'b']);
    adapter.delSockets({ rooms: new Set(['vip']), except: new Set(['red']) }, ['vip', 'blue']);
    assert.deepEqual([...b.rooms], ['b']);
    assert.deepEqual([...a.rooms].sort(), ['a', 'blue', 'red', 'vip']);
    adapter.disconnectSockets({ rooms: new Set(['green']) }, true);
    assert.equal(c.disconnectedWith, true);
    assert.equal(a.disconnectedWith, undefined);
  });

  test('serverSideEmit on a single node answers an ack with no responses', () => {
    const { adapter } = setup();
    let result: unknown;
    adapter.serverSideEmit(['hello', (err: Error | null, responses: unknown[]) => (result = [err, responses])]);
    assert.deepEqual(result, [null, []]);
  });
});

describe('InMemoryAdapter connection state recovery', () => {
  test('without recovery, nothing is stored and nothing is restored', async () => {
    const { adapter, a } = setup();
    adapter.broadcast(event('x'), { rooms: new Set() });
    assert.deepEqual(a.texts(), ['2/chat,["x"]']);
    adapter.persistSession({ sid: 'a', pid: 'p', rooms: ['a'], data: {} });
    assert.equal(await adapter.restoreSession('p', 'whatever'), null);
  });

  test('broadcast EVENTs carry an offset; acks and volatile packets do not', () => {
    const { adapter, a } = setup({ maxDisconnectionDuration: 1000 });
    const packet = event('x', 1);
    adapter.broadcast(packet, { rooms: new Set(['a']) });
    const data = a.deliveries[0]?.packet.data as unknown[];
    assert.equal(data.length, 3);
    assert.equal(typeof data[2], 'string');
    adapter.broadcast(event('v'), { rooms: new Set(['a']), flags: { volatile: true } });
    adapter.broadcast({ ...event('q'), id: 4 }, { rooms: new Set(['a']) });
    assert.deepEqual(a.texts().slice(1), ['2/chat,["v"]', '2/chat,4["q"]']);
    void adapter.close();
  });

  test('a session restored within the duration gets the packets it missed, filtered by its rooms', async () => {
    const { nsp, adapter, a } = setup({ maxDisconnectionDuration: 1000 });
    adapter.broadcast(event('before'), { rooms: new Set() });
    const offset = (a.deliveries[0]?.packet.data as unknown[])[1] as string;
    const rooms = [...a.rooms];
    a.disconnect();
    adapter.persistSession({ sid: 'a', pid: 'pid-a', rooms, data: { user: 1 } });
    adapter.broadcast(event('to red'), { rooms: new Set(['red']) });
    adapter.broadcast(event('to green'), { rooms: new Set(['green']) });
    adapter.broadcast(event('not to blue'), { rooms: new Set(), except: new Set(['blue']) });
    adapter.broadcast(event('to a'), { rooms: new Set(['a']) });
    adapter.broadcast(event('all'), { rooms: new Set() });
    const session = await adapter.restoreSession('pid-a', offset);
    assert.ok(session);
    assert.equal(session.sid, 'a');
    assert.deepEqual(session.data, { user: 1 });
    assert.deepEqual(session.rooms.sort(), ['a', 'blue', 'red']);
    assert.deepEqual(
      session.missedPackets.map((data) => data[0]),
      ['to red', 'to a', 'all'],
    );
    assert.equal(await adapter.restoreSession('pid-a', offset), null, 'a session is restored once');
    assert.ok(nsp);
    void adapter.close();
  });

  test('a client that never received an offset gets what was sent after its rooms last changed', async () => {
    const { adapter, c } = setup({ maxDisconnectionDuration: 1000 });
    // Sent to a room c is not in yet: never meant for c, never replayed.
    adapter.broadcast(event('before joining'), { rooms: new Set(['late']) });
    adapter.addAll('c', new Set(['late']));
    const rooms = [...c.rooms];
    c.disconnect();
    adapter.persistSession({ sid: 'c', pid: 'pid-c', rooms, data: {} });
    adapter.broadcast(event('to late'), { rooms: new Set(['late']) });
    adapter.broadcast(event('to red'), { rooms: new Set(['red']) });
    adapter.broadcast(event('to all'), { rooms: new Set() });
    const session = await adapter.restoreSession('pid-c', '');
    assert.deepEqual(
      session?.missedPackets.map((data) => data[0]),
      ['to late', 'to all'],
    );
    void adapter.close();
  });

  test('an unknown offset or an expired session is not restored', async () => {
    const { adapter, a } = setup({ maxDisconnectionDuration: 20 });
    adapter.broadcast(event('x'), { rooms: new Set() });
    const offset = (a.deliveries[0]?.packet.data as unknown[])[1] as string;
    adapter.persistSession({ sid: 'a', pid: 'p1', rooms: ['a'], data: {} });
    assert.equal(await adapter.restoreSession('p1', 'no-such-offset'), null);
    adapter.persistSession({ sid: 'a', pid: 'p2', rooms: ['a'], data: {} });
    await sleep(40);
    assert.equal(await adapter.restoreSession('p2', offset), null);
    void adapter.close();
  });

  test('packets older than maxDisconnectionDuration are swept in the background, not only on restore', async (t) => {
    // The sweep runs on an interval: mocked time makes "older than the duration" exact.
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 });
    const { adapter, a } = setup({ maxDisconnectionDuration: 1000 });
    try {
      adapter.broadcast(event('old'), { rooms: new Set() });
      adapter.broadcast(event('older than the duration by the time a drops'), { rooms: new Set() });
      const offset = (a.deliveries[0]?.packet.data as unknown[])[1] as string;
      // Connected all along: a drops only now, its last offset that of a packet the sweep has let go of.
      t.mock.timers.tick(2500);
      adapter.persistSession({ sid: 'a', pid: 'p', rooms: [...a.rooms], data: {} });
      assert.equal(await adapter.restoreSession('p', offset), null, 'the offset is no longer in the log');

      // Within the duration the same sequence is restored: the sweep keeps what is recent.
      adapter.broadcast(event('recent'), { rooms: new Set() });
      adapter.broadcast(event('missed'), { rooms: new Set() });
      const recent = (a.deliveries[2]?.packet.data as unknown[])[1] as string;
      t.mock.timers.tick(900);
      adapter.persistSession({ sid: 'a', pid: 'q', rooms: [...a.rooms], data: {} });
      const session = await adapter.restoreSession('q', recent);
      assert.deepEqual(
        session?.missedPackets.map((data) => data[0]),
        ['missed'],
      );
    } finally {
      void adapter.close();
    }
  });
});
