import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { RelayedRequest, RelayedResponse } from './session-relay.js';

/** The request side of a relayed exchange: a stream of the POST's body, with its method and headers. */
class RelayedIncoming extends Readable {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(request: RelayedRequest) {
    super();
    this.method = request.method;
    this.headers = request.headers;
    if (request.body.length > 0)
      this.push(Buffer.from(request.body.buffer, request.body.byteOffset, request.body.length));
    this.push(null);
  }

  override _read(): void {
    // Everything was pushed at construction.
  }
}

/** The response side: records what the transport writes and hands it over once ended. */
class RelayedOutgoing extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  private status = 200;
  private readonly headers: Record<string, string> = {};

  constructor(private readonly settle: (response: RelayedResponse | undefined) => void) {
    super();
  }

  writeHead(status: number, headers: OutgoingHttpHeaders = {}): this {
    this.status = status;
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.headers[name] = String(value);
    this.headersSent = true;
    return this;
  }

  end(body: string | Uint8Array = ''): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    this.settle({
      status: this.status,
      headers: this.headers,
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    });
    return this;
  }

  /** The requester went away before the answer: the transport sees the connection close, as locally. */
  abort(): void {
    if (this.writableEnded) return;
    this.writableEnded = true;
    this.settle(undefined);
    this.emit('close');
  }
}

/**
 * A request relayed from another node, as the polling transport takes requests: stand-ins for the
 * `IncomingMessage` and the `ServerResponse` that run the same code as a request received here, so
 * a relayed poll counts as the session's one poll (a second one at the same time is the protocol
 * error it is locally), a relayed POST goes through the same limits and checks, and a requester
 * that leaves fails the transport as a client that drops its connection does. The transport uses
 * only what these implement (method, headers, the body's `data` and `end`; `writeHead`, `end`,
 * `headersSent`, `writableEnded` and `close`).
 */
export class RelayedExchange {
  /** Resolves with what the transport answered, or `undefined` once {@link abort}ed first. */
  readonly answer: Promise<RelayedResponse | undefined>;
  private readonly incoming: RelayedIncoming;
  private readonly outgoing: RelayedOutgoing;

  constructor(request: RelayedRequest) {
    this.incoming = new RelayedIncoming(request);
    let settle!: (response: RelayedResponse | undefined) => void;
    this.answer = new Promise((resolve) => (settle = resolve));
    this.outgoing = new RelayedOutgoing(settle);
  }

  /** The request, as the transport is typed to take it. */
  get request(): IncomingMessage {
    return this.incoming as unknown as IncomingMessage;
  }

  /** The response, as the transport is typed to take it. */
  get response(): ServerResponse {
    return this.outgoing as unknown as ServerResponse;
  }

  /** The requester gave up: unanswered, the exchange ends as a dropped connection does. */
  abort(): void {
    this.outgoing.abort();
  }
}
