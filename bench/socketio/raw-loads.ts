import { abort, openMany } from '../load/connect.js';
import { RunningLoad } from '../load/running-load.js';
import type { AckLoad, EmitLoad, FanOutLoad, IdleClientsLoad } from './protocol.js';
import { BenchEvent } from './protocol.js';
import { RawSocketIoConnection, type RawConnectOptions } from './raw-connection.js';
import { ackIdOf, eventFrame, isEvent, textFrame } from './raw-frames.js';
import { CHAT_MESSAGE } from './payload.js';

/**
 * Opens `count` raw Socket.IO connections with at most `concurrency` being opened at once, spread
 * over `options.port` and `spreadOver` in turn. If any fails, no more are started, every one
 * opened is dropped, and the first error is thrown.
 */
function openAll(
  count: number,
  concurrency: number,
  options: RawConnectOptions,
  spreadOver: readonly number[] = [],
): Promise<RawSocketIoConnection[]> {
  const ports = [options.port, ...spreadOver];
  return openMany(count, concurrency, (index) =>
    RawSocketIoConnection.open({ ...options, port: ports[index % ports.length]! }),
  );
}

/** What every raw load shares: its connections, dropped with a TCP reset at the end. */
abstract class RawRun extends RunningLoad {
  protected connections: RawSocketIoConnection[] = [];

  protected close(): void {
    for (const connection of this.connections) abort(connection.socket);
    this.connections = [];
  }
}

/**
 * Emit throughput: every client keeps `window` identical `echo` events in flight and, for every
 * echo it sees, writes as many pre-encoded, pre-masked frames again, in one write per read.
 */
export class RawEmitRun extends RawRun {
  static async start(load: EmitLoad): Promise<RawEmitRun> {
    const run = new RawEmitRun();
    run.connections = await openAll(load.connections, 64, { port: load.port, timeoutMs: 10_000, prefixLength: 2 });
    const frame = eventFrame(BenchEvent.Echo, CHAT_MESSAGE);
    const batch = Buffer.concat(Array.from({ length: load.window }, () => frame));
    for (const connection of run.connections) run.drive(connection, frame.length, batch);
    run.details = `raw frames, ${frame.length} B per event frame`;
    return run;
  }

  private drive(connection: RawSocketIoConnection, frameSize: number, batch: Buffer): void {
    const { socket } = connection;
    const window = batch.length / frameSize;
    let echoed = 0;
    connection.onPacket = (prefix) => {
      if (isEvent(prefix)) echoed++;
    };
    connection.afterRead = () => {
      if (echoed === 0) return;
      this.count += echoed;
      // Never more than `window` echoes, since no more events are in flight.
      const refill = Math.min(echoed, window);
      echoed = 0;
      if (this.running) socket.write(refill === window ? batch : batch.subarray(0, refill * frameSize));
    };
    socket.on('error', () => this.errors++);
    socket.write(batch);
  }
}

/** Ack ids start here so that every id has the same number of digits, and so every frame the same size. */
const FIRST_ACK_ID = 1000;

/**
 * Emit with acknowledgement: every client keeps `window` `ack` events in flight, each with its own
 * ack id and pre-encoded frame; when an ACK comes back its round trip is recorded and the same
 * frame (same id) goes out again. Writes of one read are corked into one.
 */
export class RawAckRun extends RawRun {
  private readonly origin = process.hrtime.bigint();

  static async start(load: AckLoad): Promise<RawAckRun> {
    if (load.window < 1 || load.window > 9000) throw new RangeError('window must be 1 to 9000');
    const run = new RawAckRun();
    // "43" + four digits + "[".
    run.connections = await openAll(load.connections, 64, { port: load.port, timeoutMs: 10_000, prefixLength: 7 });
    const frames = Array.from({ length: load.window }, (_, i) =>
      eventFrame(BenchEvent.Ack, CHAT_MESSAGE, FIRST_ACK_ID + i),
    );
    for (const connection of run.connections) run.drive(connection, frames);
    run.details = `raw frames, ${frames[0]!.length} B per event frame`;
    return run;
  }

  private now(): number {
    return Number(process.hrtime.bigint() - this.origin) / 1000;
  }

  private drive(connection: RawSocketIoConnection, frames: readonly Buffer[]): void {
    const { socket } = connection;
    const sentAt = new Float64Array(frames.length);
    connection.onPacket = (prefix) => {
      const index = ackIdOf(prefix) - FIRST_ACK_ID;
      if (index < 0 || index >= frames.length) return;
      const now = this.now();
      this.latency.record(now - sentAt[index]!);
      this.count++;
      if (!this.running) return;
      sentAt[index] = now;
      socket.write(frames[index]!);
    };
    connection.beforeRead = () => socket.cork();
    connection.afterRead = () => socket.uncork();
    socket.on('error', () => this.errors++);
    socket.cork();
    const start = this.now();
    for (let i = 0; i < frames.length; i++) {
      sentAt[i] = start;
      socket.write(frames[i]!);
    }
    socket.uncork();
  }
}

/** Width of the zero-padded sequence number and send time (µs) inside a broadcast payload. */
const SEQUENCE_DIGITS = 10;
const STAMP_DIGITS = 15;
/** What precedes the digits in each broadcast frame's payload: `42["broadcast","`. */
const BROADCAST_HEAD = `42${JSON.stringify([BenchEvent.Broadcast, ''])}`.slice(0, -2);
/** Filler so the event argument is 64 characters, like the WebSocket broadcast's 64-byte payload. */
const FILLER = 'x'.repeat(64 - SEQUENCE_DIGITS - 1 - STAMP_DIGITS - 1);

function readDigits(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) value = value * 10 + (bytes[i]! - 0x30);
  return value;
}

/**
 * Broadcast fan-out: `clients` clients listen and the first one also publishes a `broadcast`
 * event carrying its sequence number and send time as fixed-width digits; the server emits it to
 * every client. `window` events are in flight: the next one goes out whenever one has reached all
 * of them. Each delivery's latency runs from the send time to the read of its copy.
 */
export class RawFanOutRun extends RawRun {
  private readonly origin = process.hrtime.bigint();
  private sequence = 0;
  /** Deliveries per in-flight event, by sequence number modulo its length. */
  private readonly delivered: Uint32Array;
  private now = 0;

  private constructor(private readonly load: FanOutLoad) {
    super();
    this.delivered = new Uint32Array(load.window * 2);
  }

  static async start(load: FanOutLoad): Promise<RawFanOutRun> {
    if (load.clients < 1) throw new RangeError('a broadcast needs at least one client');
    if (load.window < 1) throw new RangeError('window must be at least 1');
    const run = new RawFanOutRun(load);
    const prefixLength = BROADCAST_HEAD.length + SEQUENCE_DIGITS + 1 + STAMP_DIGITS;
    run.connections = await openAll(
      load.clients,
      load.concurrency,
      { port: load.port, timeoutMs: 30_000, prefixLength },
      load.spreadOver,
    );
    for (const connection of run.connections) run.listen(connection);
    run.details = 'raw frames';
    return run;
  }

  override go(): void {
    for (let i = 0; i < this.load.window; i++) this.publish();
  }

  private listen(connection: RawSocketIoConnection): void {
    const { socket } = connection;
    connection.onPacket = (prefix) => this.onDelivery(prefix);
    connection.beforeRead = () => {
      this.now = Number(process.hrtime.bigint() - this.origin) / 1000;
    };
    socket.on('error', () => this.errors++);
  }

  private onDelivery(prefix: Uint8Array): void {
    if (!isEvent(prefix)) return;
    const sequence = readDigits(prefix, BROADCAST_HEAD.length, SEQUENCE_DIGITS);
    const sentAt = readDigits(prefix, BROADCAST_HEAD.length + SEQUENCE_DIGITS + 1, STAMP_DIGITS);
    if (this.load.latencyOf !== 'last') this.latency.record(this.now - sentAt);
    this.count++;
    const slot = sequence % this.delivered.length;
    if (++this.delivered[slot]! === this.load.clients) {
      if (this.load.latencyOf === 'last') this.latency.record(this.now - sentAt);
      this.delivered[slot] = 0;
      if (this.running) this.publish();
    }
  }

  private publish(): void {
    const sequence = String(this.sequence++).padStart(SEQUENCE_DIGITS, '0');
    const stamp = String(Math.round(Number(process.hrtime.bigint() - this.origin) / 1000)).padStart(STAMP_DIGITS, '0');
    this.connections[0]!.socket.write(textFrame(`${BROADCAST_HEAD}${sequence}:${stamp}:${FILLER}"]`));
  }
}

/** Idle clients: connected to the main namespace, answering heartbeats, otherwise silent. */
export class RawIdleRun extends RawRun {
  static async start(load: IdleClientsLoad): Promise<RawIdleRun> {
    const run = new RawIdleRun();
    run.connections = await openAll(load.connections, load.concurrency, {
      port: load.port,
      localAddress: load.localAddress,
      timeoutMs: 30_000,
      prefixLength: 2,
    });
    for (const connection of run.connections) {
      run.count++;
      connection.socket.on('error', () => run.errors++);
      connection.socket.on('close', () => run.count--);
    }
    run.details = 'raw frames';
    return run;
  }
}
