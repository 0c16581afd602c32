/**
 * Runs the integration examples as an application would run them: each in a process of its own,
 * importing `switchboard/*` by name (loaded from the sources, see switchboard-from-source.mjs),
 * listening on a free loopback port. Then reaches them the way their users would: an HTTP request,
 * the official Socket.IO client, a WebSocket client; and stops them with a signal.
 */
import assert from 'node:assert/strict';
import { io as connect, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';
import { WebSocket, type WebSocketOptions } from '../../src/ws/index.js';
import { spawnNode, type ChildHandle } from '../helpers/processes.js';
import { nextMessage, openOurClient, ourClose } from '../ws/interop-shared.js';
import { waitFor } from '../helpers/wait.js';

/** An example process, listening. */
export interface RunningExample extends ChildHandle {
  /** The port it printed. */
  readonly port: number;
}

/** Starts `examples/integrations/<file>` on 127.0.0.1 and a free port, with `env` added. */
export async function startExample(file: string, env: NodeJS.ProcessEnv = {}): Promise<RunningExample> {
  const handle = spawnNode(
    ['--import', 'tsx', '--import', './test/integrations/switchboard-from-source.mjs', `examples/integrations/${file}`],
    { PORT: '0', HOST: '127.0.0.1', ...env },
  );
  try {
    // Generous: the child compiles the sources on the fly, on a machine other tests load too.
    const [, port] = await handle.waitForOutput(/listening on port (\d+)/, 30_000);
    return { ...handle, port: Number(port) };
  } catch (error) {
    handle.kill();
    throw error;
  }
}

/** Clients a test opened, to close in its `finally`. */
export class Clients {
  private readonly sockets: ClientSocket[] = [];
  private readonly webSockets: WebSocket[] = [];

  /**
   * Connects the official Socket.IO client (long-polling first, then the upgrade to WebSocket, so
   * both the HTTP and the upgrade path go through the application's server), and checks that an
   * acknowledged event makes the round trip.
   */
  async socketIo(url: string, options: Partial<ManagerOptions & SocketOptions> = {}): Promise<ClientSocket> {
    const socket = connect(url, { forceNew: true, reconnection: false, timeout: 10_000, ...options });
    this.sockets.push(socket);
    const connected = waitFor(socket, 'connect', 10_000);
    const failed = waitFor<[Error]>(socket, 'connect_error', 10_000).then(([error]) => {
      throw new Error(`Socket.IO client could not connect: ${error.message}`);
    });
    failed.catch(() => {});
    await Promise.race([connected, failed]);
    if (socket.io.engine.transport.name !== 'websocket') await waitFor(socket.io.engine, 'upgrade', 10_000);
    assert.equal(await socket.timeout(5000).emitWithAck('hello', 'Ada'), 'hello, Ada');
    return socket;
  }

  /** Opens a Switchboard WebSocket client to `url` and checks that the server echoes a message. */
  async echoWebSocket(url: string, options: WebSocketOptions = {}): Promise<WebSocket> {
    const ws = await this.webSocket(url, options);
    const answer = nextMessage(ws);
    ws.send('ping');
    assert.equal((await answer).data.toString(), 'ping');
    return ws;
  }

  /** Opens a Switchboard WebSocket client to `url`. */
  async webSocket(url: string, options: WebSocketOptions = {}): Promise<WebSocket> {
    const ws = new WebSocket(url, [], options);
    this.webSockets.push(ws);
    return openOurClient(ws);
  }

  /** Opens a Switchboard WebSocket client to a server that speaks first; resolves with the client and that first message. */
  async greetedWebSocket(url: string, options: WebSocketOptions = {}): Promise<[WebSocket, string]> {
    const ws = new WebSocket(url, [], options);
    this.webSockets.push(ws);
    // Listening before the handshake ends: the greeting may arrive in the same read as the 101.
    const greeting = nextMessage(ws);
    greeting.catch(() => {});
    await openOurClient(ws);
    return [ws, (await greeting).data.toString()];
  }

  /** Connects the official Socket.IO client, expecting a refusal; resolves with its `connect_error`. */
  async refusedSocketIo(url: string, options: Partial<ManagerOptions & SocketOptions> = {}): Promise<Error> {
    const socket = connect(url, { forceNew: true, reconnection: false, timeout: 10_000, ...options });
    this.sockets.push(socket);
    const [error] = await waitFor<[Error]>(socket, 'connect_error', 10_000);
    return error;
  }

  /** Opens a Switchboard WebSocket client, expecting a refusal; resolves with its `'error'`. */
  async refusedWebSocket(url: string, options: WebSocketOptions = {}): Promise<Error> {
    const ws = new WebSocket(url, [], options);
    this.webSockets.push(ws);
    const [error] = await waitFor<[Error]>(ws, 'error', 10_000);
    return error;
  }

  /** Closes every client. */
  close(): void {
    for (const socket of this.sockets) socket.disconnect();
    for (const ws of this.webSockets) ws.terminate();
  }
}

/** The clients an example must say goodbye to as it stops. */
export interface Goodbyes {
  /** Each is closed with 1001 (going away). */
  readonly webSockets?: readonly WebSocket[];
  /** Each is disconnected. */
  readonly sockets?: readonly ClientSocket[];
}

/**
 * Stops an example with SIGTERM and checks that it exits on its own with 0 (nothing left open),
 * having closed each of the given clients as a server going away does.
 */
export async function stopGracefully(
  example: RunningExample,
  { webSockets = [], sockets = [] }: Goodbyes = {},
): Promise<void> {
  const closes = webSockets.map((ws) => ourClose(ws));
  const disconnects = sockets.map((socket) => waitFor(socket, 'disconnect', 15_000));
  const exit = await example.stop('SIGTERM', 15_000);
  assert.deepEqual(exit, { code: 0, signal: null }, `the example did not exit cleanly:\n${example.stderr()}`);
  for (const closed of closes) assert.equal((await closed).code, 1001);
  await Promise.all(disconnects);
}
