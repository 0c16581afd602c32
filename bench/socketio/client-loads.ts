import { io, type Socket } from 'socket.io-client';
import { RunningLoad } from '../load/running-load.js';
import { CHAT_MESSAGE } from './payload.js';
import { BenchEvent, type AckLoad, type EmitLoad } from './protocol.js';

/**
 * Connects `count` official clients, each with its own Engine.IO connection (`forceNew`), no
 * reconnection, over `transport` only, at most 64 joining at a time. If any fails, every client
 * is closed and the first error is thrown.
 */
async function connectClients(port: number, count: number, transport: 'websocket' | 'polling'): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let next = 0;
  let failure: unknown;
  const connectOne = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = io(`http://127.0.0.1:${port}`, {
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
  protected sockets: Socket[] = [];

  protected close(): void {
    for (const socket of this.sockets) socket.close();
    this.sockets = [];
  }
}

/** Emit throughput through `socket.io-client`: `window` `echo` events in flight per client. */
export class ClientEmitRun extends ClientRun {
  static async start(load: EmitLoad): Promise<ClientEmitRun> {
    const run = new ClientEmitRun();
    run.sockets = await connectClients(load.port, load.connections, 'websocket');
    for (const socket of run.sockets) {
      socket.on(BenchEvent.Echo, () => {
        run.count++;
        if (run.running) socket.emit(BenchEvent.Echo, CHAT_MESSAGE);
      });
      for (let i = 0; i < load.window; i++) socket.emit(BenchEvent.Echo, CHAT_MESSAGE);
    }
    run.details = 'socket.io-client, websocket';
    return run;
  }
}

/**
 * Emit with acknowledgement through `socket.io-client`: `window` `ack` events in flight per client,
 * each round trip timed from `emit` to the acknowledgement callback.
 */
export class ClientAckRun extends ClientRun {
  static async start(load: AckLoad): Promise<ClientAckRun> {
    const run = new ClientAckRun();
    run.sockets = await connectClients(load.port, load.connections, load.transport);
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
    run.details = `socket.io-client, ${load.transport}`;
    return run;
  }
}
