import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { io as connectSocketIo, type Socket as ClientSocket } from 'socket.io-client';
import { startDemoServer, type DemoServer } from '../../src/cli/demo-server.js';
import { spawnCli, type ChildHandle } from '../helpers/processes.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';

type Message = [topic: string, payload: unknown];

/** A port nothing listens on: one the system gave out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('switchboard sensor-sim', () => {
  let server: DemoServer;
  let page: ClientSocket;
  const messages: Message[] = [];
  const children: ChildHandle[] = [];

  function sim(args: readonly string[]): ChildHandle {
    const child = spawnCli(['sensor-sim', ...args]);
    children.push(child);
    return child;
  }
  const devicesUrl = (credentials = 'sensor:hub-demo'): string =>
    `ws://${credentials}@127.0.0.1:${server.address.port}/devices`;
  const has = (topic: string, payload?: unknown): boolean =>
    messages.some(([t, p]) => t === topic && (payload === undefined || p === payload));

  before(async () => {
    server = await startDemoServer({ port: 0, shutdownTimeout: 1000 });
    page = connectSocketIo(`${server.url}sensors`, { transports: ['websocket'], reconnection: false });
    page.on('message', (topic: string, payload: unknown) => messages.push([topic, payload]));
    await waitFor(page, 'connect');
    for (const pattern of ['sensors/#', 'relays/#'])
      await withTimeout(page.emitWithAck('subscribe', pattern), 'subscribe');
  });

  after(async () => {
    for (const child of children) child.kill();
    page?.disconnect();
    await server?.close();
  });

  test('--help describes the command and exits 0', async () => {
    const help = sim(['--help']);
    assert.deepEqual(await withTimeout(help.exited, 'the help to exit', 15_000), { code: 0, signal: null });
    assert.match(help.stdout(), /Usage: switchboard sensor-sim \[url\] \[options\]/);
    assert.match(help.stdout(), /--interval <time>/);
  });

  test('a wrong command line exits 2 and says what is wrong', async () => {
    for (const [args, message] of [
      [['--devices', '0'], /--devices must be a whole number from 1 to 32/],
      [['--interval', '10ms'], /--interval must be at least 250ms/],
      [['--duration', 'soon'], /--duration takes a time/],
      [['--colour', 'red'], /colour/],
      [['ftp://example.com/'], /is not a WebSocket URL/],
    ] as const) {
      const child = sim(args);
      assert.equal((await withTimeout(child.exited, `${args.join(' ')} to exit`, 15_000)).code, 2, args.join(' '));
      assert.match(child.stderr(), message);
    }
  });

  test('refused credentials and an absent server exit 1 with the reason', async () => {
    const refused = sim([devicesUrl('sensor:wrong')]);
    assert.equal((await withTimeout(refused.exited, 'the refused sim to exit', 15_000)).code, 1);
    assert.match(refused.stderr(), /cannot connect to ws:\/\/sensor:\*\*\*@.*the hub refused the credentials \(401/);
    assert.doesNotMatch(refused.stderr(), /wrong/, 'the password is not printed');

    const absent = sim([`ws://sensor:hub-demo@127.0.0.1:${await closedPort()}/devices`]);
    assert.equal((await withTimeout(absent.exited, 'the sim without server to exit', 15_000)).code, 1);
    assert.match(absent.stderr(), /connection refused/);
  });

  test('feeds readings for each device, obeys a relay command from a dashboard and reports the new state', async () => {
    const child = sim([devicesUrl(), '--devices', '2', '--relays', '2', '--interval', '250ms', '--name', 'sim']);
    await child.waitForOutput(/Connected to .* as sim-1, sim-2/);
    await until(
      () => has('sensors/sim-1/temperature') && has('sensors/sim-2/humidity') && has('relays/sim-2/1', false),
      5000,
      () => `readings and relay states of both devices, got ${JSON.stringify(messages.slice(-6))}`,
    );
    // Readings keep coming: more than one temperature of the same device.
    await until(
      () => messages.filter(([topic]) => topic === 'sensors/sim-1/temperature').length >= 2,
      5000,
      'a second reading',
    );
    const temperature = messages.find(([topic]) => topic === 'sensors/sim-1/temperature')![1];
    assert.equal(typeof temperature, 'number');

    const reply = (await withTimeout(
      page.emitWithAck('publish', { topic: 'relays/sim-2/1/set', payload: true }),
      'the publish answer',
    )) as { ok: boolean; delivered: boolean };
    assert.deepEqual(reply, { ok: true, delivered: true });
    await child.waitForOutput(/sim-2: relay 1 on \(command from the hub\)/);
    await until(() => has('relays/sim-2/1', true), 5000, 'the new relay state');

    const exit = await child.stop('SIGINT');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.match(child.stdout(), /Stopped after \d+ readings and 1 relay command\./);
  });

  test('--duration stops by itself with exit 0', async () => {
    const child = sim([devicesUrl(), '--devices', '1', '--duration', '600ms', '--name', 'brief']);
    assert.deepEqual(await withTimeout(child.exited, 'the sim to stop', 15_000), { code: 0, signal: null });
    assert.match(child.stdout(), /for 600 ms\./);
    assert.ok(has('sensors/brief-1/temperature'));
  });

  test('a hub that goes away ends the sim with exit 1', async () => {
    const other = await startDemoServer({ port: 0, shutdownTimeout: 1000 });
    const child = sim([`ws://sensor:hub-demo@127.0.0.1:${other.address.port}/devices`, '--devices', '1']);
    try {
      await child.waitForOutput(/Connected to/);
    } finally {
      await other.close();
    }
    assert.equal((await withTimeout(child.exited, 'the sim to notice', 15_000)).code, 1);
    assert.match(child.stderr(), /sim-1: the hub closed the connection \(1001 server shutting down\)/);
  });
});
