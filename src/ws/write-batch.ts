import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { ErrorCode, WebSocketError } from '../protocol/index.js';
import type { SendCallback } from './websocket.js';

/**
 * Below this size a frame is copied behind its header and batched; above, batching gains nothing
 * and header and payload are written at once, separately.
 */
export const COPY_THRESHOLD = 16 * 1024;

/*
 * Write batching. A server connection's first frame in a tick is held, and written once the tick's
 * work is done (process.nextTick); a second frame in the same tick corks the socket behind the
 * first, so every frame written meanwhile (an echo of a chunk holding many messages, a burst of
 * broadcasts, a pong with them) leaves in one writev system call instead of one call each. A lone
 * frame costs no more than writing it at once: holding it is a field and a list entry, not a cork.
 * The delay is the rest of the current tick: microseconds.
 *
 * A client connection ({@link ClientWriteBatch}) writes its first frame of a tick at once and corks
 * only the ones after it. A client is usually one connection pipelining requests to its server: its
 * first request of a tick (the answer to the first reply of a chunk) then reaches the server while
 * the client still works through the rest of the chunk, so both ends work at the same time instead
 * of taking turns; and a lone request (an acknowledged emit) does not wait for the end of the tick.
 * For the same reason a client does not keep a long tick's frames corked to its end: once
 * {@link CLIENT_WRITE_OUT_BYTES} are corked it writes them out and corks again, each time waiting
 * for twice as many bytes, so the server is kept busy while a burst costs a few system calls, not
 * one per kilobyte (one client keeping 16 events in flight: about 25% more events per second).
 */
/** Held in place of a frame once a client wrote its first of the tick at once: the next ones cork. */
const WRITTEN = Buffer.alloc(0);

let tickEndScheduled = false;
let batchedThisTick: WriteBatch[] = [];

function endTick(): void {
  tickEndScheduled = false;
  const batched = batchedThisTick;
  batchedThisTick = [];
  for (const batch of batched) batch.flush();
}

/** The frames one connection writes in the current tick, batched into one system call (see above). */
export class WriteBatch {
  /** The first frame written this tick and its callback, held until the tick ends (or {@link WRITTEN}). */
  protected held: Buffer | undefined;
  private heldCallback: SendCallback | undefined;
  /** Whether further frames of this tick are corked behind the first one. */
  protected corked = false;

  constructor(protected readonly socket: Duplex) {}

  /** Bytes of the frame held for the end of the tick, counted in `bufferedAmount`. */
  get heldBytes(): number {
    return this.held?.length ?? 0;
  }

  /**
   * Writes bytes to the socket, batched with the rest of this tick's small writes. A large write
   * gains nothing from batching: it flushes what is batched and goes at once, so it does not sit in
   * `bufferedAmount` for the rest of the tick.
   */
  write(bytes: Buffer, callback: SendCallback | undefined): void {
    const socket = this.socket;
    if (bytes.length > COPY_THRESHOLD) {
      this.flush();
      socket.write(bytes, callback);
      return;
    }
    if (this.corked) {
      socket.write(bytes, callback);
      return;
    }
    if (this.held === undefined) {
      this.first(bytes, callback);
      batchedThisTick.push(this);
      if (!tickEndScheduled) {
        tickEndScheduled = true;
        process.nextTick(endTick);
      }
      return;
    }
    // A second frame this tick: it, the held one and any that follow leave in one writev at its end.
    this.corked = true;
    socket.cork();
    if (this.held !== WRITTEN) socket.write(this.held, this.heldCallback);
    this.held = undefined;
    this.heldCallback = undefined;
    socket.write(bytes, callback);
  }

  /** Takes the tick's first frame: held until the tick ends. */
  protected first(bytes: Buffer, callback: SendCallback | undefined): void {
    this.held = bytes;
    this.heldCallback = callback;
  }

  /** Writes a large frame's header and payload, without copying the payload, after what is batched. */
  writeSeparately(header: Buffer, payload: Buffer, callback: SendCallback | undefined): void {
    const socket = this.socket;
    this.flush();
    socket.cork();
    socket.write(header);
    socket.write(payload, callback);
    socket.uncork();
  }

  /** Writes what this tick has batched: the held frame, or the corked ones. */
  flush(): void {
    const frame = this.held;
    if (frame !== undefined) {
      const callback = this.heldCallback;
      this.held = undefined;
      this.heldCallback = undefined;
      if (frame !== WRITTEN) this.socket.write(frame, callback);
    } else if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  /** The socket closed: a frame held for the end of the tick in which it closed never goes out. */
  discard(): void {
    const callback = this.heldCallback;
    this.held = undefined;
    this.heldCallback = undefined;
    callback?.(new WebSocketError(ErrorCode.ConnectionClosed, 'the connection closed before the message was sent'));
  }
}

/** Bytes a client corks in a tick before it writes them out, then twice as many each time (see above). */
export const CLIENT_WRITE_OUT_BYTES = 1024;

/** A client connection's batch: the first frame of a tick goes at once, the next ones in growing batches (see above). */
export class ClientWriteBatch extends WriteBatch {
  /** Bytes corked since the tick's last write-out. */
  private corkedBytes = 0;
  /** Corked bytes that make the next write-out. */
  private writeOutAt = CLIENT_WRITE_OUT_BYTES;

  override write(bytes: Buffer, callback: SendCallback | undefined): void {
    super.write(bytes, callback);
    // Not corked: the tick's first frame, written at once, or a large one, written out with the batch.
    if (!this.corked) return;
    this.corkedBytes += bytes.length;
    if (this.corkedBytes < this.writeOutAt) return;
    // Out with what is corked; the batch stays corked for the rest of the tick.
    this.socket.uncork();
    this.socket.cork();
    this.corkedBytes = 0;
    this.writeOutAt *= 2;
  }

  protected override first(bytes: Buffer, callback: SendCallback | undefined): void {
    this.socket.write(bytes, callback);
    this.held = WRITTEN;
    this.corkedBytes = 0;
    this.writeOutAt = CLIENT_WRITE_OUT_BYTES;
  }
}
