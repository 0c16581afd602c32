import { Buffer } from 'node:buffer';
import { ErrorCode, ReadyState, WebSocketError } from '../protocol/index.js';
import { notOpenError, type SendOptions } from './call-forms.js';
import { payloadSize, toPayload, type SendData } from './send-data.js';
import type { SendCallback } from './websocket.js';

/** A `close()` called while Blobs were being read: it goes once they are sent. */
export interface PendingClose {
  readonly code: number | undefined;
  readonly reason: string;
}

/** What a {@link BlobQueue} needs from the connection whose sends wait in it. */
export interface BlobQueueHost {
  readonly readyState: ReadyState;
  /** Whether our close frame has been written. */
  readonly closeSent: boolean;
  /** Whether the socket has been destroyed (its `'close'` event, which cuts the queue, is still to come). */
  readonly socketDestroyed: boolean;
  /** Sends a queued message (`control` undefined) or ping or pong, now that its data is read. */
  writeQueued(
    payload: string | Buffer,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
    control: number | undefined,
  ): void;
  /** Every queued send went: the host drops the queue, then sends `close` if one waited for it. */
  blobQueueDrained(close: PendingClose | undefined): void;
  /** A Blob could not be read; every queued send was told `error`. `close` is as for {@link blobQueueDrained}. */
  blobReadFailed(error: Error, close: PendingClose | undefined): void;
}

interface QueuedSend {
  readonly data: SendData;
  readonly options: SendOptions | undefined;
  readonly callback: SendCallback | undefined;
  /** The opcode of a ping or pong, `undefined` for a message. */
  readonly control: number | undefined;
}

/** The error of sends waiting behind a Blob being read when the socket closes, in ws's words. */
function blobReadCutError(): WebSocketError {
  return new WebSocketError(ErrorCode.ConnectionClosed, 'The socket was closed while the blob was being read');
}

/**
 * The sends, pings and pongs of one connection waiting behind a Blob being read. Blobs are read
 * asynchronously; whatever is sent after one waits behind it, so frames keep the order they were
 * asked for, as browsers and ws keep it. A connection holds a queue only while a Blob is being
 * read: the sends of a connection that never sends a Blob pay nothing for it.
 */
export class BlobQueue {
  private readonly entries: QueuedSend[] = [];
  /** Bytes of the sends waiting, counted in `bufferedAmount`. */
  bytes = 0;
  /** A `close()` called while the queue waits: it goes after the queued sends. */
  closeBehind: PendingClose | undefined;
  /** Whether the queue was cut (the socket closed, or a Blob failed): its reads in flight are dropped. */
  private cut = false;

  /** Queues the first send (`control` as in {@link push}) and starts reading. */
  constructor(
    private readonly host: BlobQueueHost,
    data: SendData,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
    control: number | undefined,
  ) {
    this.push(data, options, callback, control);
    void this.drain();
  }

  /** Queues a send behind the others; `control` is the opcode of a ping or pong, `undefined` for a message. */
  push(
    data: SendData,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
    control: number | undefined,
  ): void {
    this.entries.push({ data, options, callback, control });
    this.bytes += payloadSize(data);
  }

  /** The socket closed: every queued send is told, and reads still in flight are dropped. */
  cutOff(): void {
    this.cut = true;
    this.bytes = 0;
    this.closeBehind = undefined;
    for (const { callback } of this.entries) callback?.(blobReadCutError());
  }

  private async drain(): Promise<void> {
    const { entries, host } = this;
    while (entries.length > 0) {
      const { data, options, callback, control } = entries[0]!;
      let payload: string | Buffer;
      try {
        payload = data instanceof Blob ? Buffer.from(await data.arrayBuffer()) : toPayload(data);
      } catch (error) {
        if (!this.cut) this.fail(error as Error);
        return;
      }
      if (this.cut) return; // the connection closed meanwhile; callbacks were told
      entries.shift();
      this.bytes -= payloadSize(data);
      // Sends made before close() still go: close() waits for them (see `closeBehind`).
      if (host.readyState === ReadyState.OPEN || (this.closeBehind !== undefined && !host.closeSent)) {
        host.writeQueued(payload, options, callback, control);
      } else callback?.(host.socketDestroyed ? blobReadCutError() : notOpenError(host.readyState));
    }
    host.blobQueueDrained(this.closeBehind);
  }

  /**
   * A Blob could not be read: as in `ws`, the connection cannot go on with a message missing from
   * the middle of its stream. Every queued send is told, then the host fails the connection.
   */
  private fail(error: Error): void {
    this.cut = true;
    this.bytes = 0;
    for (const { callback } of this.entries) callback?.(error);
    this.host.blobReadFailed(error, this.closeBehind);
  }
}
