import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { io as connectSocketIo, type Socket as ClientSocket } from 'socket.io-client';
import type { DemoApp } from '../../../src/cli/apps/demo-app.js';
import { commandDevice, isCommand, sourceDevice } from '../../../src/cli/apps/sensors/device-topics.js';
import { parseTopicMessage, payloadFromBytes } from '../../../src/cli/apps/sensors/messages.js';
import { RetainedStore } from '../../../src/cli/apps/sensors/retained-store.js';
import type { SensorHub } from '../../../src/cli/apps/sensors/sensor-hub.js';
import { sensorHubOptions } from '../../../src/cli/apps/sensors/serve-options.js';
import { patternProblem, topicMatches, topicNameProblem } from '../../../src/cli/apps/sensors/topics.js';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../../src/cli/demo-server.js';
import { WebSocket, WebSocketError } from '../../../src/ws/index.js';
import { until, waitFor, withTimeout } from '../../helpers/wait.js';

describe('topic patterns (MQTT 5.0 §4.7)', () => {
  const cases: [pattern: string, topic: string, matches: boolean][] = [
    ['sensors/kitchen/temperature', 'sensors/kitchen/temperature', true],
    ['sensors/kitchen/temperature', 'sensors/kitchen/humidity', false],
    ['sensors/+/temperature', 'sensors/kitchen/temperature', true],
    ['sensors/+/temperature', 'sensors/kitchen/humidity', false],
    ['sensors/+/temperature', 'sensors/kitchen/cellar/temperature', false],
    ['sensors/+', 'sensors/kitchen/temperature', false],
    ['sensors/+', 'sensors/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['sensors/#', 'sensors/kitchen/temperature', true],
    ['sensors/#', 'sensors', true],
    ['sensors/#', 'sensorsx', false],
    ['sensors/#', 'relays/kitchen/0', false],
    ['sensors/kitchen/#', 'sensors/kitchen', true],
    ['+/kitchen/#', 'relays/kitchen/0/set', true],
    ['#', 'relays/kitchen/0', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
    ['A/b', 'a/b', false],
  ];
  for (const [pattern, topic, matches] of cases) {
    test(`${pattern} ${matches ? 'matches' : 'does not match'} ${topic}`, () => {
      assert.equal(patternProblem(pattern), undefined);
      assert.equal(topicMatches(pattern, topic), matches);
    });
  }

  test('wildcards must fill whole levels; # only the last', () => {
    for (const pattern of ['sensors/#/temperature', 'sensors#', 'sensors/te#', 'sensors/+x', 'x+/y', '#/#'])
      assert.match(patternProblem(pattern) ?? '', /must be a whole level/, pattern);
    for (const pattern of ['', 'a'.repeat(257), 'a/'.repeat(16) + 'a', 'bad\u0000topic', 'tab\there', 42, null])
      assert.notEqual(patternProblem(pattern), undefined, String(pattern));
    assert.equal(patternProblem('a'.repeat(256)), undefined);
    assert.equal(patternProblem('a/'.repeat(15) + 'a'), undefined);
  });

  test('topic names hold no wildcards and no leading $', () => {
    assert.equal(topicNameProblem('sensors/kitchen/temperature'), undefined);
    assert.equal(topicNameProblem('relays/kitchen/0/set'), undefined);
    assert.match(topicNameProblem('sensors/+/temperature')!, /wildcards/);
    assert.match(topicNameProblem('sensors/#')!, /wildcards/);
    assert.match(topicNameProblem('$SYS/uptime')!, /reserved/);
    assert.match(topicNameProblem(['sensors'])!, /must be a string/);
  });

  test('device names come from readings and relay states; commands are addressed to one', () => {
    assert.equal(sourceDevice('sensors/kitchen/temperature'), 'kitchen');
    assert.equal(sourceDevice('relays/kitchen/0'), 'kitchen');
    assert.equal(sourceDevice('relays/kitchen/0/set'), undefined);
    assert.equal(sourceDevice('sensors/kitchen'), undefined);
    assert.equal(sourceDevice('weather/kitchen/temperature'), undefined);
    assert.equal(sourceDevice(`sensors/${'d'.repeat(65)}/temperature`), undefined);
    assert.equal(commandDevice('relays/kitchen/0/set'), 'kitchen');
    assert.equal(commandDevice('relays/kitchen/0'), undefined);
    assert.equal(commandDevice('relays//0/set'), undefined);
    assert.equal(isCommand('relays/kitchen/0/set'), true);
    assert.equal(isCommand('relays/kitchen/0'), false);
  });

  test('messages are ["topic", payload]; anything else says why', () => {
    assert.deepEqual(parseTopicMessage('["sensors/a/temperature", 21.5]'), {
      topic: 'sensors/a/temperature',
      payload: 21.5,
    });
    assert.deepEqual(parseTopicMessage('["relay/i2c0-3b/set", {"state": false}]'), {
      topic: 'relay/i2c0-3b/set',
      payload: { state: false },
    });
    for (const [text, problem] of [
      ['not json', /must be JSON/],
      ['{"topic":"a"}', /must be an array/],
      ['["a"]', /must be an array/],
      ['["a", 1, 2]', /must be an array/],
      ['[1, 2]', /must be a string/],
      ['["a/+", 2]', /wildcards/],
    ] as const) {
      const parsed = parseTopicMessage(text);
      assert.ok('problem' in parsed, text);
      assert.match(parsed.problem, problem);
    }
    assert.deepEqual(payloadFromBytes(Buffer.from('{"on":true}')), { on: true });
    assert.equal(payloadFromBytes(Buffer.from('plain text')), 'plain text');
  });

  test('the retained store keeps the last value per topic and forgets the one updated longest ago', () => {
    const store = new RetainedStore(2);
    store.set('sensors/a/temperature', 20);
    store.set('sensors/b/temperature', 21);
    store.set('sensors/a/temperature', 22);
    store.set('sensors/c/temperature', 23);
    assert.equal(store.size, 2);
    assert.deepEqual(store.matching('sensors/+/temperature'), [
      { topic: 'sensors/a/temperature', payload: 22 },
      { topic: 'sensors/c/temperature', payload: 23 },
    ]);
    assert.deepEqual(store.matching('relays/#'), []);
  });
});

describe('the sensor hub flags of switchboard serve', () => {
  const report = (): void => undefined;

  test('become the hub options', () => {
    assert.deepEqual(sensorHubOptions({}, report), { report });
    assert.deepEqual(sensorHubOptions({ 'device-credentials': 'boiler:pa:ss' }, report), {
      report,
      deviceCredentials: { user: 'boiler', password: 'pa:ss' },
    });
    assert.deepEqual(sensorHubOptions({ mqtt: 'mqtt://127.0.0.1:1883' }, report), {
      report,
      mqtt: { url: 'mqtt://127.0.0.1:1883', prefix: 'switchboard' },
    });
    assert.deepEqual(sensorHubOptions({ mqtt: 'mqtts://broker', 'mqtt-prefix': 'home/hub' }, report).mqtt, {
      url: 'mqtts://broker',
      prefix: 'home/hub',
    });
  });

  test('a wrong value is a usage error naming its flag', () => {
    for (const [flags, message] of [
      [{ 'device-credentials': 'nocolon' }, /--device-credentials takes user:password/],
      [{ 'device-credentials': ':password' }, /--device-credentials takes user:password/],
      [{ 'device-credentials': 'user:' }, /--device-credentials takes user:password/],
      [{ mqtt: 'http://broker' }, /^--mqtt must be a broker URL/],
      [{ mqtt: 'mqtt://broker', 'mqtt-prefix': 'a/#' }, /^--mqtt-prefix must be a topic name/],
      [{ 'mqtt-prefix': 'home' }, /--mqtt-prefix needs --mqtt/],
    ] as const) {
      assert.throws(() => sensorHubOptions(flags, report), { name: 'UsageError', message }, JSON.stringify(flags));
    }
  });
});

/** What a page gets back from the hub. */
interface Reply {
  ok: boolean;
  error?: string;
  retained?: { topic: string; payload: unknown }[];
  delivered?: boolean;
}

type Message = [topic: string, payload: unknown];

/** A dashboard: the official Socket.IO client on the hub's namespace, recording every message. */
interface Dashboard {
  readonly socket: ClientSocket;
  readonly messages: Message[];
  request(event: string, argument?: unknown): Promise<Reply>;
}

/** A device: our own WebSocket client on the device endpoint, recording what the hub sends. */
interface Device {
  readonly socket: WebSocket;
  readonly received: Message[];
  publish(topic: string, payload: unknown): void;
}

function sensorHubOf(server: DemoServer): SensorHub {
  const app = server.apps.find((candidate: DemoApp) => candidate.name === 'sensors');
  assert.ok(app, 'the demo server runs the sensor hub');
  return app as SensorHub;
}

function devicesUrl(server: DemoServer, credentials = 'sensor:hub-demo'): string {
  return `ws://${credentials}@127.0.0.1:${server.address.port}/devices`;
}

/** Connects a device; rejects with the handshake's error. */
function connectDevice(url: string): Promise<Device> {
  const socket = new WebSocket(url);
  const received: Message[] = [];
  socket.on('message', (data) => received.push(JSON.parse(data.toString()) as Message));
  return withTimeout(
    new Promise<Device>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () =>
        resolve({ socket, received, publish: (topic, payload) => socket.send(JSON.stringify([topic, payload])) }),
      );
    }),
    'the device to connect',
  );
}

async function connectDashboard(server: DemoServer): Promise<Dashboard> {
  const socket = connectSocketIo(`${server.url}sensors`, { transports: ['websocket'], reconnection: false });
  const messages: Message[] = [];
  socket.on('message', (topic: string, payload: unknown) => messages.push([topic, payload]));
  await waitFor(socket, 'connect');
  return {
    socket,
    messages,
    request: (event, argument) =>
      withTimeout(socket.emitWithAck(event, argument) as Promise<Reply>, `the answer to ${event}`),
  };
}

function has(messages: readonly Message[], topic: string, payload?: unknown): boolean {
  return messages.some(([t, p]) => t === topic && (payload === undefined || p === payload));
}

describe('sensor hub on the demo server', () => {
  let server: DemoServer;
  const open: { close(): unknown }[] = [];

  async function start(options: DemoServerOptions = {}): Promise<DemoServer> {
    const started = await startDemoServer({ port: 0, shutdownTimeout: 1000, ...options });
    open.push(started);
    return started;
  }
  async function device(url = devicesUrl(server)): Promise<Device> {
    const connected = await connectDevice(url);
    open.push({ close: () => connected.socket.terminate() });
    return connected;
  }
  async function dashboard(on = server): Promise<Dashboard> {
    const connected = await connectDashboard(on);
    open.push({ close: () => connected.socket.disconnect() });
    return connected;
  }

  before(async () => {
    server = await start();
  });

  after(async () => {
    for (const item of open.reverse()) await item.close();
  });

  test('a device with the right credentials connects; wrong or missing ones get 401', async () => {
    const connected = await device();
    assert.equal(connected.socket.readyState, WebSocket.OPEN);
    for (const credentials of ['sensor:wrong', 'someone:hub-demo']) {
      const refused = await connectDevice(devicesUrl(server, credentials)).then(
        () => assert.fail(`${credentials} was accepted`),
        (error: unknown) => error,
      );
      assert.ok(refused instanceof WebSocketError);
      assert.equal(refused.status, 401);
    }
    const bare = await connectDevice(`ws://127.0.0.1:${server.address.port}/devices`).catch((error: unknown) => error);
    assert.equal((bare as WebSocketError).status, 401);
  });

  test('credentials are configurable and checked as given', async () => {
    const other = await start({ apps: { sensors: { deviceCredentials: { user: 'boiler', password: 's3cret:x' } } } });
    await device(devicesUrl(other, 'boiler:s3cret:x')).then(({ socket }) => socket.close());
    const demo = await connectDevice(devicesUrl(other)).catch((error: unknown) => error);
    assert.equal((demo as WebSocketError).status, 401);
  });

  test('wrong options are refused by name', async () => {
    await assert.rejects(start({ apps: { sensors: { maxRetained: 5 } as object } }), /maxRetained: unknown sensor hub/);
    await assert.rejects(
      start({ apps: { sensors: { maxRetainedTopics: 0 } } }),
      /maxRetainedTopics must be an integer/,
    );
    await assert.rejects(
      start({ apps: { sensors: { deviceCredentials: { user: 'a:b', password: 'c' } } } }),
      /without ":"/,
    );
    await assert.rejects(start({ apps: { sensors: { mqtt: { url: 'http://broker' } } } }), /mqtt\.url must be/);
    await assert.rejects(
      start({ apps: { sensors: { mqtt: { url: 'mqtt://127.0.0.1:1', prefix: 'a/#' } } } }),
      /mqtt\.prefix must be a topic name/,
    );
  });

  test('a dashboard subscribed with wildcards receives only the topics they match, once each', async () => {
    const kitchen = await device();
    const page = await dashboard();
    assert.deepEqual(await page.request('subscribe', 'sensors/+/temperature'), { ok: true, retained: [] });
    // Overlapping patterns: a message matching both arrives once.
    assert.equal((await page.request('subscribe', 'sensors/kitchen/#')).ok, true);
    kitchen.publish('sensors/kitchen/temperature', 21.5);
    kitchen.publish('sensors/kitchen/humidity', 40);
    kitchen.publish('sensors/cellar/temperature', 12);
    kitchen.publish('relays/kitchen/0', false);
    kitchen.publish('sensors/cellar/humidity', 80);
    kitchen.publish('sensors/kitchen/done', true);
    await until(() => has(page.messages, 'sensors/kitchen/done'), 3000, 'the last message');
    assert.deepEqual(page.messages, [
      ['sensors/kitchen/temperature', 21.5],
      ['sensors/kitchen/humidity', 40],
      ['sensors/cellar/temperature', 12],
      ['sensors/kitchen/done', true],
    ]);
    assert.deepEqual(await page.request('unsubscribe', 'sensors/kitchen/#'), { ok: true });
    kitchen.publish('sensors/kitchen/humidity', 41);
    kitchen.publish('sensors/cellar/temperature', 13);
    await until(() => has(page.messages, 'sensors/cellar/temperature', 13), 3000, 'the next temperature');
    assert.equal(has(page.messages, 'sensors/kitchen/humidity', 41), false);
  });

  test('a new dashboard gets the current value of each topic it subscribes to', async () => {
    const attic = await device();
    const watcher = await dashboard();
    await watcher.request('subscribe', 'sensors/attic/#');
    attic.publish('sensors/attic/temperature', 30);
    attic.publish('sensors/attic/temperature', 31);
    attic.publish('sensors/attic/humidity', 55);
    await until(() => has(watcher.messages, 'sensors/attic/humidity'), 3000, 'the attic readings');
    const late = await dashboard();
    const reply = await late.request('subscribe', 'sensors/attic/+');
    assert.deepEqual(reply.retained, [
      { topic: 'sensors/attic/temperature', payload: 31 },
      { topic: 'sensors/attic/humidity', payload: 55 },
    ]);
  });

  test('a relay flipped on a dashboard reaches the device, and its new state every dashboard', async () => {
    const garage = await device();
    garage.publish('relays/garage/1', false);
    const [flipper, other] = [await dashboard(), await dashboard()];
    await other.request('subscribe', 'relays/#');
    await until(() => sensorHubOf(server).devices.isOnline('garage'), 3000, 'the hub to know the garage');
    assert.deepEqual(await flipper.request('publish', { topic: 'relays/garage/1/set', payload: true }), {
      ok: true,
      delivered: true,
    });
    await until(() => has(garage.received, 'relays/garage/1/set', true), 3000, 'the command at the device');
    // The device obeys and reports its new state, as the simulator does.
    garage.publish('relays/garage/1', true);
    await until(() => has(other.messages, 'relays/garage/1', true), 3000, 'the new state at the other dashboard');
    assert.ok(has(other.messages, 'relays/garage/1/set', true), 'the command is visible to relays/# too');
    // Commands are not retained: a device that reconnects must not act on an old one.
    const late = await dashboard();
    const { retained } = await late.request('subscribe', 'relays/garage/#');
    assert.deepEqual(retained, [{ topic: 'relays/garage/1', payload: true }]);
    // A command for a device nobody speaks for is published but reported undelivered.
    assert.deepEqual(await flipper.request('publish', { topic: 'relays/nowhere/0/set', payload: false }), {
      ok: true,
      delivered: false,
    });
    assert.equal(
      garage.received.every(([topic]) => topic.startsWith('relays/garage/')),
      true,
      'no command for another device',
    );
  });

  test('bad requests from a page get an error answer and change nothing', async () => {
    const page = await dashboard();
    for (const [event, argument, error] of [
      ['subscribe', 'sensors/#/x', /whole level/],
      ['subscribe', 42, /must be a string/],
      ['subscribe', '', /must not be empty/],
      ['unsubscribe', 'never/subscribed', /not subscribed/],
      ['publish', 'relays/a/0/set', /publish takes \{ topic, payload \}/],
      ['publish', { topic: 'sensors/a/temperature', payload: 99 }, /relay commands only/],
      ['publish', { topic: 'relays/+/0/set', payload: true }, /wildcards/],
      ['publish', { topic: 'relays/a/0/set', payload: 'on' }, /true or false/],
      ['shout', 'x', /unknown event/],
    ] as const) {
      const reply = await page.request(event, argument);
      assert.equal(reply.ok, false, `${event} ${JSON.stringify(argument)}`);
      assert.match(reply.error ?? '', error);
    }
    assert.equal(page.socket.connected, true);
  });

  test('a page may hold a bounded number of subscriptions', async () => {
    const limited = await start({ apps: { sensors: { maxSubscriptionsPerSocket: 2 } } });
    const page = await dashboard(limited);
    assert.equal((await page.request('subscribe', 'a/#')).ok, true);
    assert.equal((await page.request('subscribe', 'b/#')).ok, true);
    assert.equal((await page.request('subscribe', 'a/#')).ok, true, 'subscribing again costs nothing');
    assert.deepEqual(await page.request('subscribe', 'c/#'), { ok: false, error: 'at most 2 subscriptions per page' });
    await page.request('unsubscribe', 'a/#');
    assert.equal((await page.request('subscribe', 'c/#')).ok, true);
  });

  test('a device that sends something else than ["topic", payload] is told why; binary closes it with 1003', async () => {
    const sloppy = await device();
    sloppy.socket.send('{"temperature": 20}');
    sloppy.socket.send('["sensors/+/temperature", 20]');
    await until(() => sloppy.received.length === 2, 3000, 'two error messages');
    assert.deepEqual(sloppy.received, [
      ['$error', 'a message must be an array ["topic", payload]'],
      ['$error', 'a topic name must not contain the wildcards + or #'],
    ]);
    sloppy.socket.send(Buffer.from([1, 2, 3]));
    const [code] = await waitFor<[number, Buffer]>(sloppy.socket, 'close');
    assert.equal(code, 1003);
  });

  test('a device connection speaks for a bounded number of devices', async () => {
    const limited = await start({ apps: { sensors: { maxDevicesPerConnection: 1 } } });
    const gateway = await device(devicesUrl(limited));
    gateway.publish('sensors/one/temperature', 1);
    gateway.publish('sensors/two/temperature', 2);
    await until(() => gateway.received.length === 1, 3000, 'the refusal');
    assert.deepEqual(gateway.received, [['$error', 'one connection may speak for at most 1 devices']]);
    assert.equal(sensorHubOf(limited).devices.isOnline('one'), true);
    assert.equal(sensorHubOf(limited).devices.isOnline('two'), false);
    gateway.socket.close();
    await until(() => !sensorHubOf(limited).devices.isOnline('one'), 3000, 'the device to go offline');
  });

  test('device connections are bounded: one more gets 503', async () => {
    const limited = await start({ apps: { sensors: { maxDeviceConnections: 1 } } });
    await device(devicesUrl(limited));
    const refused = await connectDevice(devicesUrl(limited)).catch((error: unknown) => error);
    assert.equal((refused as WebSocketError).status, 503);
  });
});

/** Whether a broker listens on the port; under CI one must. */
function brokerListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const answer = (listening: boolean): void => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(1000);
    socket.once('connect', () => answer(true));
    socket.once('error', () => answer(false));
    socket.once('timeout', () => answer(false));
  });
}

const MQTT_PORT = 1883;
const mqttSkip = await brokerListening(MQTT_PORT).then((listening) => {
  if (listening) return false;
  const message = `no MQTT broker on 127.0.0.1:${MQTT_PORT}`;
  if (process.env['CI'] === 'true') throw new Error(`${message}; the MQTT bridge tests must run in CI`);
  return `${message}; skipping the MQTT bridge tests`;
});

describe('MQTT bridge', { skip: mqttSkip }, () => {
  const prefix = `switchboard-test-${randomUUID()}`;
  let server: DemoServer;
  let broker: mqtt.MqttClient;

  before(async () => {
    server = await startDemoServer({
      port: 0,
      shutdownTimeout: 1000,
      apps: { sensors: { mqtt: { url: `mqtt://127.0.0.1:${MQTT_PORT}`, prefix } } },
    });
    broker = await withTimeout(
      mqtt.connectAsync(`mqtt://127.0.0.1:${MQTT_PORT}`, { reconnectPeriod: 0 }),
      'the broker',
    );
    await broker.subscribeAsync(`${prefix}/#`);
    await until(() => sensorHubOf(server).bridge?.connected === true, 5000, 'the bridge to subscribe');
  });

  after(async () => {
    await broker?.endAsync();
    await server?.close();
  });

  test('a message published on the broker reaches a dashboard, and a device message the broker, once each', async () => {
    const fromBroker: Message[] = [];
    broker.on('message', (topic, payload) => fromBroker.push([topic, payloadFromBytes(payload)]));
    const page = await connectDashboard(server);
    const boiler = await connectDevice(devicesUrl(server));
    try {
      await page.request('subscribe', 'sensors/#');
      await broker.publishAsync(`${prefix}/sensors/boiler/temperature`, '64.5');
      await until(() => has(page.messages, 'sensors/boiler/temperature', 64.5), 5000, 'the broker message');
      boiler.socket.send(JSON.stringify(['sensors/boiler/pressure', 1.8]));
      await until(() => has(fromBroker, `${prefix}/sensors/boiler/pressure`, 1.8), 5000, 'the device message');
      // The bridge published the device's message after it took the broker's, so an echo of the
      // broker's message would have come first: there is none, and no second copy of the device's.
      assert.deepEqual(fromBroker, [
        [`${prefix}/sensors/boiler/temperature`, 64.5],
        [`${prefix}/sensors/boiler/pressure`, 1.8],
      ]);
      assert.deepEqual(page.messages, [
        ['sensors/boiler/temperature', 64.5],
        ['sensors/boiler/pressure', 1.8],
      ]);
    } finally {
      page.socket.disconnect();
      boiler.socket.terminate();
    }
  });

  test('a relay command published on the broker reaches the device', async () => {
    const pump = await connectDevice(devicesUrl(server));
    try {
      pump.socket.send(JSON.stringify(['relays/pump/0', false]));
      await until(() => sensorHubOf(server).devices.isOnline('pump'), 3000, 'the hub to know the pump');
      await broker.publishAsync(`${prefix}/relays/pump/0/set`, 'true');
      await until(() => has(pump.received, 'relays/pump/0/set', true), 5000, 'the command at the device');
    } finally {
      pump.socket.terminate();
    }
  });
});
