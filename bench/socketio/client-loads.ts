import { io } from 'socket.io-client';
import { RunningLoad } from '../load/running-load.js';
import { CHAT_MESSAGE } from './payload.js';
import { BenchEvent, type AckLoad, type EmitLoad } from './protocol.js';

/** What the loads use of a client socket: socket.io-client's API, which other clients share. */
export interface LoadSocket {
  on(event: string, listener: () => void): unknown;
  once(event: 'connect', listener: () => void): unknown;
  once(event: 'connect_error', listener: (error: Error) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  close(): unknown;
}

/** The options every load connects with. */
export interface LoadConnectOptions {
  readonly transports: ['websocket' | 'polling'];
  readonly forceNew: true;
  readonly reconnection: false;
  readonly timeout: number;
}

/** A Socket.IO client the loads can drive: its name for the report and its `io()`. */
export interface LoadClient {
  readonly name: string;
  connect(url: string, options: LoadConnectOptions): LoadSocket;
}

/** The official client, which the Socket.IO scenarios drive. */
export const OFFICIAL_CLIENT: LoadClient = { name: 'socket.io-client', connect: (url, options) => io(url, options) };

/**
 * Connects `count` clients of `client`, each with its own Engine.IO connection (`forceNew`), no
 * reconnection, over `transport` only, at most 64 joining at a time. If any fails, every client
 * is closed and the first error is thrown.
 */
export async function connectClients(
  port: number,
  count: number,
  transport: 'websocket' | 'polling',
  client: LoadClient = OFFICIAL_CLIENT,
): Promise<LoadSocket[]> {
  const sockets: LoadSocket[] = [];
  let next = 0;
  let failure: unknown;
  const connectOne = (): Promise<LoadSocket> =>
    new Promise((resolve, reject) => {
      const socket = client.connect(`http://127.0.0.1:${port}`, {
        transports: [transport],
        forceNew: true,
        reconnection: false,
        timeout: 10_000,
      });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      const index = next++;
      try {
        sockets[index] = await connectOne();
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, count) }, worker));
  if (failure !== undefined) {
    for (const socket of sockets) socket?.close();
    throw failure;
  }
  return sockets;
}

/** What every client load shares: its sockets, closed at the end. */
abstract class ClientRun extends RunningLoad {
  protected sockets: LoadSocket[] = [];

  protected close(): void {
    for (const socket of this.sockets) socket.close();
    this.sockets = [];
  }
}

/** Emit throughput through a client (`socket.io-client` by default): `window` `echo` events in flight per client. */
export class ClientEmitRun extends ClientRun {
  static async start(load: EmitLoad, client = OFFICIAL_CLIENT): Promise<ClientEmitRun> {
    const run = new ClientEmitRun();
    run.sockets = await connectClients(load.port, load.connections, 'websocket', client);
    for (const socket of run.sockets) {
      socket.on(BenchEvent.Echo, () => {
        run.count++;
        if (run.running) socket.emit(BenchEvent.Echo, CHAT_MESSAGE);
      });
      for (let i = 0; i < load.window; i++) socket.emit(BenchEvent.Echo, CHAT_MESSAGE);
    }
    run.details = `${client.name}, websocket`;
    return run;
  }
}

/**
 * Emit with acknowledgement through a client (`socket.io-client` by default): `window` `ack` events
 * in flight per client, each round trip timed from `emit` to the acknowledgement callback.
 */
export class ClientAckRun extends ClientRun {
  static async start(load: AckLoad, client = OFFICIAL_CLIENT): Promise<ClientAckRun> {
    const run = new ClientAckRun();
    run.sockets = await connectClients(load.port, load.connections, load.transport, client);
    for (const socket of run.sockets) {
      const send = (): void => {
        const sentAt = process.hrtime.bigint();
        socket.emit(BenchEvent.Ack, CHAT_MESSAGE, () => {
          run.latency.record(Number(process.hrtime.bigint() - sentAt) / 1000);
          run.count++;
          if (run.running) send();
        });
      };
      for (let i = 0; i < load.window; i++) send();
    }
    run.details = `${client.name}, ${load.transport}`;
    return run;
  }
}
