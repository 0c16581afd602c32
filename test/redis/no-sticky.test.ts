/**
 * No sticky sessions: three node processes with the Redis adapter and session relay behind a
 * round-robin proxy, so each HTTP request of a client, and its WebSocket upgrade, lands on the
 * next node whatever session it belongs to; the official socket.io-client (and ours) on the other
 * side. Without the relay (the control), the same setup fails with "Session ID unknown".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';
import { io as ourIo } from '../../src/client-node/index.js';
import { skipUnlessReachable, uniqueName } from '../ecosystem/services.js';
import { spawnNode, type ChildHandle } from '../helpers/processes.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './fixtures/round-robin-proxy.js';

const skip = await skipUnlessReachable('Redis', 6379);
const NAMES = ['n0', 'n1', 'n2'] as const;
const COUNT = 100;
const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

interface ClusterNode extends ChildHandle {
  readonly name: string;
  readonly port: number;
}

/** Starts the three nodes; a short heartbeat so that a dead node's clients notice soon. */
async function startCluster(relay: boolean): Promise<ClusterNode[]> {
  const key = uniqueName('no_sticky');
  return Promise.all(
    NAMES.map(async (name) => {
      const handle = spawnNode(['--import', 'tsx', 'test/redis/fixtures/no-sticky-node.ts'], {
        NAME: name,
        KEY: key,
        RELAY: relay ? '1' : '0',
        PING_INTERVAL: '1000',
        PING_TIMEOUT: '1000',
      });
      try {
        const [, port] = await handle.waitForOutput(/listening (\d+)/, 20_000);
        return { ...handle, name, port: Number(port) };
      } catch (err) {
        handle.kill();
        throw err;
      }
    }),
  );
}

async function stopCluster(nodes: readonly ClusterNode[]): Promise<void> {
  await Promise.allSettled(nodes.map((node) => node.stop('SIGTERM').catch(() => node.kill())));
}

/** An official client through `proxy`; closed by the suite's `after`. */
function client(
  proxy: RoundRobinProxy,
  clients: ClientSocket[],
  options: Partial<ManagerOptions & SocketOptions> = {},
): ClientSocket {
  const socket = io(proxy.url, {
    forceNew: true,
    transports: ['polling'],
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    timeout: 5000,
    ...options,
  });
  clients.push(socket);
  return socket;
}

/** Emits `COUNT` events with acks at once; every ack comes back once, in order. */
async function echoInOrder(socket: ClientSocket): Promise<void> {
  const acked: number[] = [];
  await withTimeout(
    Promise.all(
      range(COUNT).map(async (i) => acked.push((await socket.timeout(10_000).emitWithAck('echo', i)) as number)),
    ),
    `${COUNT} acknowledgements`,
    15_000,
  );
  assert.deepEqual(acked, range(COUNT));
  const bytes = (await socket.timeout(5000).emitWithAck('echo', Buffer.from([0, 1, 254, 255]))) as Buffer;
  assert.deepEqual([...bytes], [0, 1, 254, 255]);
}

/** The name of the node holding the session of `socket`. */
function ownerOf(socket: ClientSocket): Promise<string> {
  return socket.timeout(5000).emitWithAck('who') as Promise<string>;
}

describe('polling without sticky sessions, through Redis', { skip }, () => {
  let nodes: ClusterNode[] = [];
  let pollingProxy: RoundRobinProxy;
  let upgradingProxy: RoundRobinProxy;
  const clients: ClientSocket[] = [];

  before(async () => {
    nodes = await startCluster(true);
    const ports = nodes.map((node) => node.port);
    pollingProxy = await startRoundRobinProxy(ports);
    upgradingProxy = await startRoundRobinProxy(ports, { upgrades: true });
  });

  after(async () => {
    for (const socket of clients) socket.disconnect();
    await pollingProxy?.close();
    await upgradingProxy?.close();
    await stopCluster(nodes);
  });

  test('a polling client whose requests go round-robin: 100 acks in order, binary, and broadcasts from another node', async () => {
    const first = client(pollingProxy, clients);
    await waitFor(first, 'connect', 10_000);
    await echoInOrder(first);
    // Every node served requests of this session, and answered each with 200.
    const served = pollingProxy.log.filter((entry) => entry.status === 200);
    assert.deepEqual(new Set(served.map((entry) => entry.backend)), new Set([0, 1, 2]));
    assert.deepEqual(
      pollingProxy.log.filter((entry) => entry.status !== 200),
      [],
    );

    // A second client on another node broadcasts; the first gets every packet once, in order.
    const owner = await ownerOf(first);
    let second = client(pollingProxy, clients);
    await waitFor(second, 'connect', 10_000);
    for (let tries = 0; (await ownerOf(second)) === owner; tries++) {
      assert.ok(tries < 5, 'no second client landed on another node');
      second.disconnect();
      second = client(pollingProxy, clients);
      await waitFor(second, 'connect', 10_000);
    }
    const seen: number[] = [];
    const bytes: number[] = [];
    first.on('seq', (i: number, data: Buffer) => {
      seen.push(i);
      bytes.push(data[0]!);
    });
    await second.timeout(5000).emitWithAck('burst', COUNT);
    await until(
      () => seen.length >= COUNT,
      10_000,
      () => `${COUNT} broadcasts, got ${seen.length}`,
    );
    // One more round trip through the same relay: a duplicate would have arrived by now.
    await echoInOrder(first);
    assert.deepEqual(seen, range(COUNT));
    assert.deepEqual(bytes, range(COUNT));
  });

  /**
   * Opens clients one after the other through the upgrading proxy (with `make`) until one's
   * WebSocket landed on another node than its session's, and returns it with its session's node.
   * Each ends on WebSocket and works, whichever node its upgrade reached.
   */
  async function relayedClient(make: () => ClientSocket): Promise<{ socket: ClientSocket; owner: string }> {
    for (let tries = 0; ; tries++) {
      assert.ok(tries < 6, 'no upgrade landed on another node than its session’s');
      const socket = make();
      await waitFor(socket, 'connect', 10_000);
      await until(() => socket.io.engine.transport.name === 'websocket', 10_000, 'the client to upgrade');
      await echoInOrder(socket);
      const upgrade = upgradingProxy.log.filter((entry) => entry.method === 'UPGRADE').at(-1)!;
      assert.equal(upgrade.status, 101);
      const owner = await ownerOf(socket);
      if (NAMES[upgrade.backend] !== owner) return { socket, owner };
      socket.disconnect();
    }
  }

  test('the official client with its default transports ends on WebSocket even when its upgrade lands on another node', async () => {
    const { socket, owner } = await relayedClient(() =>
      client(upgradingProxy, clients, { transports: ['polling', 'websocket'] }),
    );
    // Broadcasts from a node that is neither the session's nor the WebSocket's reach it too.
    const seen: number[] = [];
    socket.on('seq', (i: number) => seen.push(i));
    let other = client(pollingProxy, clients);
    await waitFor(other, 'connect', 10_000);
    for (let tries = 0; (await ownerOf(other)) === owner; tries++) {
      assert.ok(tries < 5, 'no second client landed on another node');
      other.disconnect();
      other = client(pollingProxy, clients);
      await waitFor(other, 'connect', 10_000);
    }
    await other.timeout(5000).emitWithAck('burst', COUNT);
    await until(
      () => seen.length >= COUNT,
      10_000,
      () => `${COUNT} broadcasts, got ${seen.length}`,
    );
    await echoInOrder(socket);
    assert.deepEqual(seen, range(COUNT));
    assert.equal(socket.io.engine.transport.name, 'websocket');
    // The holder ends the session: the relayed WebSocket closes and the client hears it.
    const disconnected = waitFor<[string]>(socket, 'disconnect', 10_000);
    socket.emit('bye');
    assert.equal((await disconnected)[0], 'io server disconnect');
  });

  test('our client with transports polling then websocket ends on WebSocket even when its upgrade lands on another node', async () => {
    const { socket } = await relayedClient(() => {
      const ours = ourIo(upgradingProxy.url, {
        forceNew: true,
        transports: ['polling', 'websocket'],
        reconnectionDelay: 100,
        reconnectionDelayMax: 300,
        timeout: 5000,
      }) as unknown as ClientSocket;
      clients.push(ours);
      return ours;
    });
    assert.equal(socket.io.engine.transport.name, 'websocket');
  });

  test('the node holding a session whose WebSocket is relayed killed: the client notices and reconnects', async () => {
    const { socket, owner } = await relayedClient(() =>
      client(upgradingProxy, clients, { transports: ['polling', 'websocket'] }),
    );
    const disconnected = waitFor(socket, 'disconnect', 10_000);
    nodes.find((node) => node.name === owner)!.kill();
    await disconnected;
    await waitFor(socket, 'connect', 15_000);
    assert.notEqual(await ownerOf(socket), owner);
    await echoInOrder(socket);
  });

  test('a node killed: its client reconnects to a live node and keeps working', async () => {
    const socket = client(pollingProxy, clients);
    await waitFor(socket, 'connect', 10_000);
    const owner = await ownerOf(socket);
    const disconnected = waitFor(socket, 'disconnect', 10_000);
    nodes.find((node) => node.name === owner)!.kill();
    await disconnected;
    await waitFor(socket, 'connect', 15_000);
    assert.notEqual(await ownerOf(socket), owner);
    await echoInOrder(socket);
  });
});

describe('the control: the same cluster without the session relay', { skip }, () => {
  let nodes: ClusterNode[] = [];
  let proxy: RoundRobinProxy;
  const clients: ClientSocket[] = [];

  before(async () => {
    nodes = await startCluster(false);
    proxy = await startRoundRobinProxy(nodes.map((node) => node.port));
  });

  after(async () => {
    for (const socket of clients) socket.disconnect();
    await proxy?.close();
    await stopCluster(nodes);
  });

  test('a polling client cannot connect: its requests reach nodes that answer 400', async () => {
    const socket = client(proxy, clients, { reconnection: false });
    await waitFor(socket, 'connect_error', 10_000);
    assert.equal(socket.connected, false);
    assert.ok(
      proxy.log.some((entry) => entry.status === 400),
      `no 400 in ${JSON.stringify(proxy.log)}`,
    );
  });
});
