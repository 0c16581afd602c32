import type { Socket } from 'node:net';
import { FrameCounter } from '../lib/frame-counter.js';
import type { EchoLoad } from '../lib/protocol.js';
import { Opcode, asciiPayload, clientFrameSize, repeatedClientFrames } from './client-frames.js';
import { abort, openMany, openWebSocket } from './connect.js';
import { RunningLoad } from './running-load.js';

/**
 * Echo traffic: every connection keeps `window` identical pre-masked binary messages in flight and
 * sends one more for every echo it counts, writing bytes prepared once up front.
 */
export class EchoRun extends RunningLoad {
  private sockets: Socket[] = [];

  static async start(load: EchoLoad): Promise<EchoRun> {
    const run = new EchoRun();
    const opened = await openMany(load.connections, 64, () =>
      openWebSocket({ port: load.port, path: '/echo', timeoutMs: 10_000 }),
    );
    const frameSize = clientFrameSize(load.size);
    const batch = repeatedClientFrames(Opcode.Binary, asciiPayload(load.size), load.window);
    for (const { socket, head } of opened) {
      run.sockets.push(socket);
      run.drive(socket, head, load, frameSize, batch);
    }
    return run;
  }

  private drive(socket: Socket, head: Buffer, load: EchoLoad, frameSize: number, batch: Buffer): void {
    const counter = new FrameCounter();
    let sentAt = process.hrtime.bigint();
    const onData = (chunk: Buffer): void => {
      this.wireBytes += chunk.length;
      const echoed = counter.push(chunk);
      if (echoed === 0) return;
      this.count += echoed;
      this.bytes += echoed * load.size;
      if (!this.running) return;
      if (load.latency) {
        const now = process.hrtime.bigint();
        this.latency.record(Number(now - sentAt) / 1000);
        sentAt = now;
      }
      const refill = echoed * frameSize;
      socket.write(refill === batch.length ? batch : batch.subarray(0, refill));
    };
    socket.on('data', onData);
    socket.on('error', () => this.errors++);
    if (head.length > 0) onData(head);
    sentAt = process.hrtime.bigint();
    socket.write(batch);
  }

  protected close(): void {
    for (const socket of this.sockets) abort(socket);
    this.sockets = [];
  }
}
