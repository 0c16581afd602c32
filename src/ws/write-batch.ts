import type { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { ErrorCode, WebSocketError } from '../protocol/index.js';
import type { SendCallback } from './websocket.js';

/**
 * Below this size a frame is copied behind its header and batched; above, batching gains nothing
 * and header and payload are written at once, separately.
 */
export const COPY_THRESHOLD = 16 * 1024;

/*
 * Write batching. A connection's first frame in a tick is held, and written once the tick's work is
 * done (process.nextTick); a second frame in the same tick corks the socket behind the first, so
 * every frame written meanwhile (an echo of a chunk holding many messages, a burst of broadcasts, a
 * pong with them) leaves in one writev system call instead of one call each. A lone frame costs no
 * more than writing it at once: holding it is a field and a list entry, not a cork. The delay is
 * the rest of the current tick: microseconds.
 */
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
  /** The first frame written this tick and its callback, held until the tick ends. */
  private held: Buffer | undefined;
  private heldCallback: SendCallback | undefined;
  /** Whether further frames of this tick are corked behind the held one. */
  private corked = false;

  constructor(private readonly socket: Duplex) {}

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
      this.held = bytes;
      this.heldCallback = callback;
      batchedThisTick.push(this);
      if (!tickEndScheduled) {
        tickEndScheduled = true;
        process.nextTick(endTick);
      }
      return;
    }
    // A second frame this tick: both, and any that follow, leave in one writev at the end of it.
    this.corked = true;
    socket.cork();
    socket.write(this.held, this.heldCallback);
    this.held = undefined;
    this.heldCallback = undefined;
    socket.write(bytes, callback);
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
      this.socket.write(frame, callback);
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
