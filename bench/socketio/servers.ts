import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Server as OfficialServer } from 'socket.io';
import { Server as SwitchboardServer } from '../../src/server/index.js';
import type { BenchServer } from '../server/bench-server.js';
import { SocketIoImplId } from './implementations.js';
import { BenchEvent, type TransportSet } from './protocol.js';

/** What an acknowledgement callback looks like to a handler. */
type Ack = (answer: unknown) => void;

/** Listens on 127.0.0.1 with an ephemeral port and resolves with it. */
export function listen(http: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      const address = http.address();
      if (address === null || typeof address === 'string') reject(new Error('expected a TCP address'));
      else resolve(address.port);
    });
  });
}

function transportList(transports: TransportSet): ('polling' | 'websocket')[] {
  return transports === 'websocket' ? ['websocket'] : ['polling', 'websocket'];
}

/** Switchboard's Socket.IO server (src/server) with its defaults but for the transports. */
async function startSwitchboard(transports: TransportSet): Promise<BenchServer> {
  const http = createServer();
  const io = new SwitchboardServer(http, { transports: transportList(transports) });
  // The same handlers on both implementations, written as an application would.
  io.on('connection', (socket) => {
    socket.on(BenchEvent.Echo, (data: unknown) => socket.emit(BenchEvent.Echo, data));
    socket.on(BenchEvent.Ack, (data: unknown, ack: Ack) => ack(data));
    socket.on(BenchEvent.Broadcast, (data: unknown) => io.emit(BenchEvent.Broadcast, data));
  });
  const port = await listen(http);
  return {
    port,
    connections: () => Math.max(io.sockets.sockets.size, io.engine.clientsCount),
    details: 'src/server on src/engine and src/ws, default options',
    close: () => io.close(),
  };
}

/** The official server with its defaults but for the transports (and no client bundle to serve). */
async function startOfficial(transports: TransportSet): Promise<BenchServer> {
  const http = createServer();
  const io = new OfficialServer(http, { transports: transportList(transports), serveClient: false });
  io.on('connection', (socket) => {
    socket.on(BenchEvent.Echo, (data: unknown) => socket.emit(BenchEvent.Echo, data));
    socket.on(BenchEvent.Ack, (data: unknown, ack: Ack) => ack(data));
    socket.on(BenchEvent.Broadcast, (data: unknown) => io.emit(BenchEvent.Broadcast, data));
  });
  const port = await listen(http);
  return {
    port,
    connections: () => Math.max(io.sockets.sockets.size, io.engine.clientsCount),
    details: `${describeOfficial()}, default options`,
    close: () => new Promise((resolve) => void io.close(() => resolve())),
  };
}

/** The `package.json` of the package `name` as `from` resolves it, found from its main module up. */
function packageJson(from: NodeJS.Require, name: string): { readonly version: string; readonly root: string } {
  let directory = dirname(from.resolve(name));
  for (;;) {
    const file = join(directory, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (json.name === name) return { version: json.version, root: directory };
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no package.json found for ${name}`);
    directory = parent;
  }
}

/** The versions in use, and whether the ws under engine.io loaded its native masking helper. */
export function describeOfficial(): string {
  const require = createRequire(import.meta.url);
  const socketIo = packageJson(require, 'socket.io');
  const fromSocketIo = createRequire(join(socketIo.root, 'package.json'));
  const engine = packageJson(fromSocketIo, 'engine.io');
  const fromEngine = createRequire(join(engine.root, 'package.json'));
  const ws = packageJson(fromEngine, 'ws');
  // ws swaps its JavaScript unmask for a bufferutil wrapper when the addon loads; the module is
  // not among its exports, so it is reached by path.
  const bufferUtil = fromEngine(join(ws.root, 'lib', 'buffer-util.js')) as { unmask: { name: string } };
  return `socket.io ${socketIo.version}, engine.io ${engine.version}, ws ${ws.version} (bufferutil ${
    bufferUtil.unmask.name === '_unmask' ? 'off' : 'active'
  })`;
}

/** Starts one implementation's Socket.IO server on 127.0.0.1 with an ephemeral port. */
export function startSocketIoServer(id: string, transports: TransportSet): Promise<BenchServer> {
  switch (id) {
    case SocketIoImplId.Switchboard:
      return startSwitchboard(transports);
    case SocketIoImplId.Official:
      return startOfficial(transports);
    default:
      throw new Error(`unknown Socket.IO implementation ${id}`);
  }
}
