import type { Socket } from 'node:net';
import type { IdleLoad } from '../lib/protocol.js';
import { abort, openMany, openWebSocket } from './connect.js';
import { RunningLoad } from './running-load.js';

/** Idle connections: handshake, then silence; `count` is how many are still open. */
export class IdleRun extends RunningLoad {
  private sockets: Socket[] = [];

  static async start(load: IdleLoad): Promise<IdleRun> {
    const run = new IdleRun();
    const opened = await openMany(load.connections, load.concurrency, () =>
      openWebSocket({ port: load.port, path: '/echo', localAddress: load.localAddress, timeoutMs: 30_000 }),
    );
    for (const { socket } of opened) {
      run.sockets.push(socket);
      run.count++;
      socket.on('data', (chunk) => (run.wireBytes += chunk.length));
      socket.on('error', () => run.errors++);
      socket.on('close', () => run.count--);
    }
    return run;
  }

  protected close(): void {
    for (const socket of this.sockets) abort(socket);
    this.sockets = [];
  }
}
