/**
 * The files of the consumer project that the package test installs the packed tarball into: a
 * TypeScript module using the main API, a CommonJS TypeScript module, and two plain scripts (ESM
 * and CommonJS) that load every subpath and echo a message through the installed package.
 */

/** A namespace identifier for a package specifier: `switchboard/ws` → `all_ws`, `switchboard/client/websocket` → `all_client_websocket`, the root → `all_root`. */
function namespaceName(specifier: string): string {
  const subpath = specifier.split('/').slice(1).join('/');
  return `all_${subpath === '' ? 'root' : subpath.replace(/[^A-Za-z0-9_$]/g, '_')}`;
}

/**
 * A TypeScript module importing every specifier and using the main API as the README shows it.
 * It imports nothing from `node:` and names no Node global, so that under `"types": []` only the
 * package's own declarations can make the compiler load Node's types.
 */
export function typeScriptConsumer(specifiers: readonly string[]): string {
  const namespaces = specifiers.map((specifier) => `import * as ${namespaceName(specifier)} from '${specifier}';`);
  return `${namespaces.join('\n')}
import { Server, WebSocket, WebSocketServer, type Socket } from 'switchboard';
import { CloseCode } from 'switchboard/protocol';
import { EngineServer } from 'switchboard/engine';
import { InMemoryAdapter } from 'switchboard/adapter';

export const modules = [${specifiers.map(namespaceName).join(', ')}];

interface ClientEvents {
  like: (trackId: string, ack: (result: { ok: boolean }) => void) => void;
}
interface ServerEvents {
  liked: (event: { trackId: string; by: string }) => void;
}
interface SocketData {
  user: string;
}

const io = new Server<ClientEvents, ServerEvents, {}, SocketData>({ adapter: InMemoryAdapter, pingInterval: 10_000 });
io.use((socket, next) => (socket.handshake.auth['token'] === 'secret' ? next() : next(new Error('unauthorized'))));
io.on('connection', (socket: Socket<ClientEvents, ServerEvents, {}, SocketData>) => {
  socket.join('jukebox');
  socket.on('like', (trackId, ack) => {
    const id: string = trackId;
    socket.to('jukebox').emit('liked', { trackId: id, by: socket.data.user });
    ack({ ok: true });
  });
});

const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
wss.on('connection', (socket, request) => {
  socket.on('message', (data, isBinary) => wss.broadcast(data, { binary: isBinary, except: socket }));
  socket.close(CloseCode.Normal, request.url ?? '');
});

export const received: unknown[] = [];
const client = new WebSocket('ws://127.0.0.1:9/', ['chat.v1']);
client.binaryType = 'arraybuffer';
client.onmessage = (event) => received.push(event.data);
client.addEventListener('close', (event) => received.push(event.code, event.reason, event.wasClean));

const eio = new EngineServer({ pingInterval: 25_000 });
eio.on('connection', (session) => session.send('hello'));
`;
}

/** A CommonJS TypeScript module (`.cts`): its imports compile to `require()` of the ESM package. */
export const COMMONJS_TYPESCRIPT_CONSUMER = `import { Server, WebSocketServer } from 'switchboard';
import { CloseCode } from 'switchboard/protocol';

export const made = [new Server(), new WebSocketServer({ noServer: true }), CloseCode.Normal];
`;

/**
 * The body both plain scripts share once `namespaces` (specifier → module) is loaded: checks that
 * every subpath exports something and the root re-exports the subpaths' classes, then echoes a
 * message between the package's WebSocket client and server on loopback, within a deadline.
 */
const ECHO = `
for (const [specifier, namespace] of Object.entries(namespaces)) {
  if (Object.keys(namespace).length === 0) throw new Error(specifier + ' exports nothing');
}
const root = namespaces['switchboard'];
if (root.Server !== namespaces['switchboard/server'].Server) throw new Error('the root Server is not switchboard/server\\'s');
if (root.WebSocketServer !== namespaces['switchboard/ws'].WebSocketServer) throw new Error('the root WebSocketServer is not switchboard/ws\\'s');
const deadline = setTimeout(() => {
  console.error('no echo within 10 s');
  process.exit(1);
}, 10_000);
const wss = new root.WebSocketServer({ port: 0, host: '127.0.0.1' }, () => {
  const client = new root.WebSocket('ws://127.0.0.1:' + wss.address().port + '/');
  client.onopen = () => client.send('hello');
  client.onmessage = (event) => {
    console.log('echo: ' + event.data);
    clearTimeout(deadline);
    client.close();
    wss.close();
  };
});
wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
`;

/** A plain Node ES module loading every specifier with `import`. */
export function moduleScript(specifiers: readonly string[]): string {
  const imports = specifiers.map((specifier, index) => `import * as m${index} from '${specifier}';`);
  const entries = specifiers.map((specifier, index) => `  '${specifier}': m${index},`);
  return `${imports.join('\n')}\nconst namespaces = {\n${entries.join('\n')}\n};\n${ECHO}`;
}

/** A plain CommonJS script loading every specifier with `require()` (Node's require of ESM). */
export function commonJsScript(specifiers: readonly string[]): string {
  const entries = specifiers.map((specifier) => `  '${specifier}': require('${specifier}'),`);
  return `'use strict';\nconst namespaces = {\n${entries.join('\n')}\n};\n${ECHO}`;
}

/**
 * A plain CommonJS script written the way socket.io's and ws's CommonJS examples start:
 * `require('switchboard/server')(httpServer, options)`, and `require('switchboard/ws')` used as
 * the WebSocket class (`new WebSocket.Server(...)`, `new WebSocket(url)`). It checks that both
 * entries give the very classes `import` gives, then echoes a message, within a deadline.
 */
export const COMMONJS_CALL_FORMS_SCRIPT = `'use strict';
const http = require('node:http');
const io = require('switchboard/server')(http.createServer(), { pingInterval: 10000 });
const { Server, Namespace } = require('switchboard/server');
const WebSocket = require('switchboard/ws');
const deadline = setTimeout(() => {
  console.error('no echo within 10 s');
  process.exit(1);
}, 10000);
Promise.all([import('switchboard/server'), import('switchboard/ws')]).then(([server, ws]) => {
  if (!(io instanceof server.Server) || Server !== server.Server || Namespace !== server.Namespace) throw new Error('switchboard/server: not the ES module build\\'s classes');
  if (WebSocket !== ws.WebSocket || WebSocket.Server !== ws.WebSocketServer || WebSocket.CloseCode !== ws.CloseCode) throw new Error('switchboard/ws: not the ES module build\\'s class');
  io.close();
  const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1' }, () => {
    const client = new WebSocket('ws://127.0.0.1:' + wss.address().port + '/');
    client.on('open', () => client.send('hello'));
    client.on('message', (data) => {
      if (client.readyState !== WebSocket.OPEN) throw new Error('not open');
      console.log('echo: ' + data);
      clearTimeout(deadline);
      client.close();
      wss.close();
    });
  });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
});
`;

/**
 * A plain ES module run where socket.io-client is not installed: the installed package serves its
 * own browser bundle at `/socket.io/socket.io.js`, with `serveClient: true` and by default.
 */
export const SERVED_CLIENT_BUNDLE_SCRIPT = `import { createServer } from 'node:http';
import { runInNewContext } from 'node:vm';
import { Server } from 'switchboard/server';

new Server({ serveClient: true });
const http = createServer((req, res) => res.writeHead(404).end());
const io = new Server(http);
http.listen(0, '127.0.0.1', async () => {
  try {
    const response = await fetch('http://127.0.0.1:' + http.address().port + '/socket.io/socket.io.js', { signal: AbortSignal.timeout(5000) });
    const page = {};
    runInNewContext(await response.text(), page);
    console.log('served: ' + io.serveClient() + ' ' + response.status + ' ' + typeof page.io);
  } finally {
    await io.close();
  }
});
`;
