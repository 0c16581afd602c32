/**
 * Memory per connection with and without permessage-deflate, measured.
 *
 *   node --import tsx bench/deflate-memory.ts [--connections=1000]
 *
 * For each configuration a fresh server process (with --expose-gc) is measured after a full
 * collection, then again once every connection has sent one compressible 2 KiB message and had it
 * echoed (so the compressor and decompressor of each connection exist, as they do on any connection
 * that ever exchanged a compressed message). The difference divided by the count is the cost of one
 * connection. Clients run in a separate process (`ws`, compression on), so only the server is measured.
 * The results table is printed as Markdown, ready for docs/compression.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket as WsClient } from 'ws';
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from '../src/ws/index.js';

/** The configurations compared, in table order. */
const CONFIGURATIONS: readonly {
  readonly name: string;
  readonly perMessageDeflate: false | PerMessageDeflateOptions;
  readonly exchange: boolean;
}[] = [
  { name: 'no compression', perMessageDeflate: false, exchange: true },
  { name: 'negotiated, no message yet', perMessageDeflate: {}, exchange: false },
  { name: 'defaults (15-bit windows, memLevel 8, context takeover)', perMessageDeflate: {}, exchange: true },
  {
    name: 'no context takeover (both directions)',
    perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    exchange: true,
  },
  { name: 'server no context takeover only', perMessageDeflate: { serverNoContextTakeover: true }, exchange: true },
  {
    name: '10-bit windows, memLevel 4',
    perMessageDeflate: { serverMaxWindowBits: 10, clientMaxWindowBits: 10, memLevel: 4 },
    exchange: true,
  },
  {
    name: '9-bit windows, memLevel 1',
    perMessageDeflate: { serverMaxWindowBits: 9, clientMaxWindowBits: 9, memLevel: 1 },
    exchange: true,
  },
];

/** A compressible message of 2 KiB: JSON-like, as chat or game traffic is. */
const MESSAGE = JSON.stringify(
  Array.from({ length: 40 }, (_, i) => ({ id: i, room: 'lobby', user: `user-${i % 7}`, text: 'hello there' })),
).slice(0, 2048);

interface Usage {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

type ToServer = { readonly type: 'measure' } | { readonly type: 'exit' };
type FromServer =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'usage'; readonly before: Usage; readonly after: Usage };

const collect = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<Usage> {
  // Several collections with pauses between, so finalizers and freed native memory are accounted for.
  for (let i = 0; i < 3; i++) {
    collect?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

/** Server process: one configuration, measured before and after the connections. */
async function serve(index: number): Promise<void> {
  if (collect === undefined) throw new Error('the server process needs --expose-gc');
  const configuration = CONFIGURATIONS[index]!;
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: configuration.perMessageDeflate,
    heartbeatInterval: 0,
  });
  wss.on('connection', (socket: WebSocket) =>
    socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary })),
  );
  await once(wss, 'listening');
  const before = await settle();
  process.send!({ type: 'listening', port: (wss.address() as AddressInfo).port } satisfies FromServer);
  process.on('message', (message: ToServer) => {
    if (message.type === 'measure') {
      void settle().then((after) => process.send!({ type: 'usage', before, after } satisfies FromServer));
    } else {
      wss.close();
      process.exit(0);
    }
  });
}

/** Client process: opens the connections, exchanges one message on each, and holds them open. */
async function connect(port: number, count: number, exchange: boolean): Promise<void> {
  const clients: WsClient[] = [];
  for (let i = 0; i < count; i++) {
    const client = new WsClient(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    await once(client, 'open');
    if (exchange) {
      const echoed = once(client, 'message');
      client.send(MESSAGE);
      await echoed;
    }
    clients.push(client);
  }
  process.send!({ type: 'ready', extensions: clients[0]?.extensions ?? '' });
  process.on('message', () => process.exit(0));
}

function child(args: string[], nodeOptions: string[] = []): ChildProcess {
  return fork(fileURLToPath(import.meta.url), args, {
    execArgv: ['--import', 'tsx', ...nodeOptions],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage<T>(process: ChildProcess): Promise<T> {
  return once(process, 'message').then(([message]) => message as T);
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const option = process.argv.find((arg) => arg.startsWith('--connections='));
  const connections = option === undefined ? 1000 : Number(option.split('=')[1]);
  if (!Number.isInteger(connections) || connections < 1) throw new Error('--connections takes a positive whole number');

  const rows: string[] = [];
  for (let index = 0; index < CONFIGURATIONS.length; index++) {
    const configuration = CONFIGURATIONS[index]!;
    const server = child(['server', String(index)], ['--expose-gc']);
    const listening = await nextMessage<FromServer>(server);
    if (listening.type !== 'listening') throw new Error('the server did not start');
    const clients = child(['clients', String(listening.port), String(connections), String(configuration.exchange)]);
    const ready = await nextMessage<{ extensions: string }>(clients);
    const expectDeflate = configuration.perMessageDeflate !== false;
    if ((ready.extensions === 'permessage-deflate') !== expectDeflate)
      throw new Error(`${configuration.name}: negotiated "${ready.extensions}"`);
    server.send({ type: 'measure' } satisfies ToServer);
    const usage = await nextMessage<FromServer>(server);
    if (usage.type !== 'usage') throw new Error('no measurement');
    const per = (key: keyof Usage): number => (usage.after[key] - usage.before[key]) / connections;
    rows.push(`| ${configuration.name} | ${kib(per('rss'))} | ${kib(per('heapUsed'))} | ${kib(per('external'))} |`);
    clients.send('exit');
    server.send({ type: 'exit' } satisfies ToServer);
    await Promise.all([once(clients, 'exit'), once(server, 'exit')]);
    console.error(`${configuration.name}: done`);
  }
  console.log(
    `Server memory per connection, ${connections} connections, Node ${process.version}, ${process.platform}/${process.arch}:\n`,
  );
  console.log('| Configuration | RSS | JS heap | external (Buffers) |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'server') await serve(Number(rest[0]));
else if (role === 'clients') await connect(Number(rest[0]), Number(rest[1]), rest[2] === 'true');
else await main();
