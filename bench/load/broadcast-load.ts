import type { Socket } from 'node:net';
import { FrameCounter } from '../lib/frame-counter.js';
import type { BroadcastLoad } from '../lib/protocol.js';
import { Opcode, clientFrameSize, writeClientFrame } from './client-frames.js';
import { abort, openMany, openWebSocket } from './connect.js';
import { RunningLoad } from './running-load.js';

/** Each broadcast payload starts with its sequence number (u32 LE) and send time (f64, ns since `origin`). */
const PREFIX = 12;

/**
 * Fan-out traffic: `clients` sockets listen on /broadcast and the first one also publishes. The
 * server sends every published message to all clients; the next one is published when a message
 * has reached every client, keeping `window` in flight. Each delivery's latency is measured from
 * the send time embedded in the payload.
 */
export class BroadcastRun extends RunningLoad {
  private sockets: Socket[] = [];
  private readonly origin = process.hrtime.bigint();
  private sequence = 0;
  /** Deliveries per in-flight message, by sequence number modulo its length. */
  private readonly delivered: Uint32Array;
  private readonly payload: Buffer;
  private now = 0;
  /** Scratch space to read the embedded f64 send time without allocating per delivery. */
  private readonly stamp = new Float64Array(1);
  private readonly stampBytes = new Uint8Array(this.stamp.buffer);

  private constructor(private readonly load: BroadcastLoad) {
    super();
    this.delivered = new Uint32Array(load.window * 2);
    this.payload = Buffer.alloc(Math.max(PREFIX, load.size), 0x62);
  }

  static async start(load: BroadcastLoad): Promise<BroadcastRun> {
    if (load.clients < 1) throw new RangeError('a broadcast needs at least one client');
    const run = new BroadcastRun(load);
    const opened = await openMany(load.clients, load.concurrency, () =>
      openWebSocket({ port: load.port, path: '/broadcast', timeoutMs: 30_000 }),
    );
    for (const { socket, head } of opened) {
      run.sockets.push(socket);
      run.listen(socket, head);
    }
    return run;
  }

  override go(): void {
    for (let i = 0; i < this.load.window; i++) this.publish();
  }

  private listen(socket: Socket, head: Buffer): void {
    const counter = new FrameCounter(PREFIX, (prefix) => this.onDelivery(prefix));
    const onData = (chunk: Buffer): void => {
      this.wireBytes += chunk.length;
      this.now = Number(process.hrtime.bigint() - this.origin);
      counter.push(chunk);
    };
    socket.on('data', onData);
    socket.on('error', () => this.errors++);
    if (head.length > 0) onData(head);
  }

  private onDelivery(prefix: Uint8Array): void {
    const sequence = (prefix[0]! | (prefix[1]! << 8) | (prefix[2]! << 16) | (prefix[3]! << 24)) >>> 0;
    for (let i = 0; i < 8; i++) this.stampBytes[i] = prefix[4 + i]!;
    this.latency.record((this.now - this.stamp[0]!) / 1000);
    this.count++;
    this.bytes += this.load.size;
    const slot = sequence % this.delivered.length;
    if (++this.delivered[slot]! === this.load.clients) {
      this.delivered[slot] = 0;
      if (this.running) this.publish();
    }
  }

  private publish(): void {
    const sequence = this.sequence++;
    this.payload.writeUInt32LE(sequence >>> 0, 0);
    // Written and read through the same Float64Array, so the byte order always agrees.
    this.stamp[0] = Number(process.hrtime.bigint() - this.origin);
    this.payload.set(this.stampBytes, 4);
    const frame = Buffer.allocUnsafe(clientFrameSize(this.payload.length));
    writeClientFrame(frame, 0, Opcode.Binary, this.payload);
    this.sockets[0]!.write(frame);
  }

  protected close(): void {
    for (const socket of this.sockets) abort(socket);
    this.sockets = [];
  }
}
