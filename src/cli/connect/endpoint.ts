import type { Action } from './steps.js';

/** Something that arrived or happened on the connection, as one line of the transcript. */
export interface Incoming {
  /** `<` for a message or event from the server, `*` for the rest (pings, pongs, the close). */
  readonly marker: '<' | '*';
  /** What it was, as shown and as `expect` matches it. */
  readonly text: string;
}

/** How a connection ended. */
export interface Closed {
  /** What to tell the user: `closed 1000 "bye"`, `connection lost (1006)`. */
  readonly description: string;
  /** Whether it closed in good order (a close handshake, a Socket.IO disconnect) rather than failed. */
  readonly clean: boolean;
}

/**
 * An open connection as `connect` drives it, whichever protocol it speaks: actions go in, what
 * arrives comes out as {@link Incoming} lines.
 */
export interface Endpoint {
  /** A few words on what was opened: `subprotocol chat`, `namespace /admin, sid …`. */
  readonly description: string;
  /** Resolves once, when the connection has closed. */
  readonly closed: Promise<Closed>;
  /**
   * Takes what arrives from now on; what arrived before the first call (with the opening
   * handshake, say) is handed over at once, so nothing is missed.
   */
  listen(consumer: (incoming: Incoming) => void): void;
  /** Sends `action` and says what was sent, as the transcript shows it. */
  perform(action: Action): string;
  /** Closes in good order (a close handshake), bounded by the client's close timeout. */
  close(): void;
}

/**
 * Holds what arrives until {@link Endpoint.listen} is called, then passes everything on; the
 * shared part of both endpoints.
 */
export class IncomingQueue {
  private consumer: ((incoming: Incoming) => void) | undefined;
  private readonly held: Incoming[] = [];

  /** Delivers `incoming` now, or once a consumer listens. */
  push(marker: Incoming['marker'], text: string): void {
    if (this.consumer === undefined) this.held.push({ marker, text });
    else this.consumer({ marker, text });
  }

  /** Sets the consumer and hands it what was held. */
  listen(consumer: (incoming: Incoming) => void): void {
    this.consumer = consumer;
    for (const incoming of this.held.splice(0)) consumer(incoming);
  }
}

/** Bytes shown of a binary message before the rest is left out. */
const SHOWN_BYTES = 64;

/** Shows binary data as its length and its first bytes in hex: `[binary 3 bytes] 01 02 ff`. */
export function describeBinary(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SHOWN_BYTES)).toString('hex');
  const pairs = hex.replace(/(..)(?!$)/g, '$1 ');
  const unit = bytes.length === 1 ? 'byte' : 'bytes';
  return `[binary ${bytes.length} ${unit}]${pairs === '' ? '' : ` ${pairs}`}${bytes.length > SHOWN_BYTES ? ' …' : ''}`;
}
