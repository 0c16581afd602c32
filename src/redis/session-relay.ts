import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { decode } from '@msgpack/msgpack';
import { EngineErrorCode } from '../protocol/engine-io/http-errors.js';
import type {
  RelayHandler,
  RelayStreamHandler,
  RelayedRefusal,
  RelayedRequest,
  RelayedResponse,
  RelayedStream,
  RelayedStreamListener,
} from '../protocol/engine-io/relayed-request.js';
import { MSGPACK_PARSER, encodeWith } from './parser.js';
import { Publisher, toError } from './publisher.js';
import { RedisConnection, checkClient, type MessageHandler } from './redis-client.js';

// The engine's `SessionRelay` port (`switchboard/engine`) takes these shapes, defined once in the
// protocol layer, which both may import; `switchboard/redis` exports them under its own names.
export type {
  RelayedRequest as RelayRequest,
  RelayedResponse as RelayResponse,
  RelayHandler as RelayRequestHandler,
  RelayedStream as RelayStream,
  RelayedStreamListener as RelayStreamListener,
  RelayedRefusal as RelayRefusal,
  RelayStreamHandler,
} from '../protocol/engine-io/relayed-request.js';

/** Options of {@link createSessionRelay}. */
export interface SessionRelayOptions {
  /**
   * Prefix of the relay's channels (`<key>#relay#<nodeId>`); every node of the cluster must use
   * the same.
   * @default 'socket.io'
   */
  key?: string;
  /**
   * Bytes one end of a relayed WebSocket may have handed to Redis and not yet seen accepted before
   * it holds back (the receiving node stops reading its client, the holder counts the session as
   * backed up, so `volatile` packets are dropped), until half of it is left. A client that sends
   * faster than Redis takes its messages is then slowed by TCP, as on a local WebSocket, instead of
   * filling this node's Redis connection.
   * @default 1048576 (1 MiB)
   */
  streamHighWaterMark?: number;
}

/** Events of a {@link RedisSessionRelay}; none is `error`, so an unheard one never throws. */
export interface SessionRelayEvents {
  /** One of the Redis clients reported an error; the client reconnects by itself. */
  'redis-error': [error: Error];
  /** A message could not be handed to Redis (unreachable, or refused): the request it carried fails. */
  'publish-failure': [error: Error];
  /** A message on this node's channel could not be read: it is ignored. */
  'invalid-message': [error: Error];
}

/**
 * What travels on a node's channel: a request, the answer to one, or the requester giving up; and
 * for a relayed WebSocket, the opening of a stream, its answer (a refusal, when `code` is set),
 * a message and the close, either way, and the receiving node's congestion reports. A stream is
 * named by the node that opened it and its id.
 */
type RelayMessage =
  | ({ readonly type: 'request'; readonly from: string; readonly id: number } & RelayedRequest)
  | ({ readonly type: 'response'; readonly id: number } & Partial<RelayedResponse>)
  | { readonly type: 'abort'; readonly from: string; readonly id: number }
  | { readonly type: 'open'; readonly from: string; readonly id: number; readonly sid: string }
  | {
      readonly type: 'opened';
      readonly from: string;
      readonly id: number;
      readonly code?: number;
      readonly name?: string | undefined;
    }
  | {
      readonly type: 'data';
      readonly from: string;
      readonly id: number;
      readonly data: string | Uint8Array;
      readonly compress?: false;
    }
  | { readonly type: 'congestion'; readonly from: string; readonly id: number; readonly congested: boolean }
  | { readonly type: 'end'; readonly from: string; readonly id: number; readonly error?: string | undefined };

/**
 * This node's end of a relayed WebSocket, whose other end is on `peer`. What arrives before the
 * engine set its listener is kept for it.
 */
class StreamEnd implements RelayedStream {
  private closed = false;
  /** Bytes of this end's messages published and not yet answered by Redis. */
  private inFlight = 0;
  /** Whether a `send` returned `false` and its listener waits for `onDrain`. */
  private backlogged = false;
  private heard: RelayedStreamListener | undefined;
  private readonly early: ((listener: RelayedStreamListener) => void)[] = [];

  constructor(
    private readonly relay: RedisSessionRelay,
    /** The node that opened the stream, and the stream's id there. */
    readonly from: string,
    readonly id: number,
    private readonly peer: string,
  ) {}

  get listener(): RelayedStreamListener | undefined {
    return this.heard;
  }

  set listener(listener: RelayedStreamListener | undefined) {
    this.heard = listener;
    if (listener !== undefined) for (const event of this.early.splice(0)) event(listener);
  }

  send(message: string | Uint8Array, compress?: boolean): boolean {
    if (this.closed) return true;
    // Only `false` travels: it is the exception, and a missing field costs nothing.
    const data = { type: 'data', from: this.from, id: this.id, data: message } as const;
    const size = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    this.inFlight += size;
    this.publish(compress === false ? { ...data, compress } : data, () => {
      this.inFlight -= size;
      if (!this.backlogged || this.inFlight > this.relay.streamHighWaterMark / 2) return;
      this.backlogged = false;
      this.tell((listener) => listener.onDrain?.());
    });
    if (this.inFlight > this.relay.streamHighWaterMark) this.backlogged = true;
    return !this.backlogged;
  }

  reportCongestion(congested: boolean): void {
    this.publish({ type: 'congestion', from: this.from, id: this.id, congested });
  }

  close(error?: string): void {
    if (this.closed) return;
    this.forget();
    void this.relay.publish(this.peer, { type: 'end', from: this.from, id: this.id, error });
  }

  /** A message from the other end. */
  received(message: RelayMessage & { type: 'data' | 'congestion' }): void {
    if (this.closed) return;
    if (message.type === 'congestion') this.tell((listener) => listener.onCongestion?.(message.congested));
    else this.tell((listener) => listener.onMessage(message.data, message.compress));
  }

  /** The other end closed, or is out of reach. */
  ended(error?: string): void {
    if (this.closed) return;
    this.forget();
    this.tell((listener) => listener.onClose(error));
  }

  /**
   * Publishes a message of this stream; one that no node got, or that Redis refused, ends it here.
   * `settled` runs once Redis answered (or the message was dropped).
   */
  private publish(message: RelayMessage, settled?: () => void): void {
    if (this.closed) return;
    void this.relay.publish(this.peer, message).then((delivered) => {
      settled?.();
      if (!delivered) this.ended('the session relay could not reach the other node');
    });
  }

  private forget(): void {
    this.closed = true;
    this.relay.forgetStream(this);
  }

  private tell(event: (listener: RelayedStreamListener) => void): void {
    if (this.heard === undefined) this.early.push(event);
    else event(this.heard);
  }
}

/**
 * Polling without sticky sessions, over Redis pub/sub: the `sessionRelay` option of a Switchboard
 * server. Each node subscribes to its own channel, `<key>#relay#<nodeId>`, and the engine starts
 * its session ids with that node id, so the node that receives a poll or a POST for a session it
 * does not hold publishes the request on the holder's channel; the holder runs it against the
 * session and publishes the answer on the requester's channel. PUBLISH reports how many
 * subscribers got a message: none means the holder is gone, and the request fails at once with
 * "Session ID unknown" (the client then reconnects). Each node's pending requests are bounded by
 * the engine's deadlines; an abandoned request is aborted on the holder too.
 *
 * A WebSocket upgrade for a session of another node is relayed as a stream on the same channels:
 * the node that received it asks the holder (`open`), which adopts it or refuses, then each
 * WebSocket message is one message on the other node's channel, in order (one publishing
 * connection per node, and Redis keeps the order of a connection's messages). A message no node
 * got, or that could not be published (Redis unreachable), closes the stream on that side; the
 * engine closes the other through its heartbeat.
 *
 * The clients may be those of the adapter: the relay adds its own subscription and listeners and
 * removes only those.
 */
export class RedisSessionRelay extends EventEmitter<SessionRelayEvents> {
  /** This node's id, the prefix of its session ids: 12 random base64url characters. */
  readonly nodeId = randomBytes(9).toString('base64url');
  private readonly pubClient: unknown;
  private readonly subClient: unknown;
  private readonly prefix: string;
  private connections:
    { readonly pub: RedisConnection; readonly sub: RedisConnection; readonly publisher: Publisher } | undefined;
  /** Settles once this node's channel is subscribed (requests relayed from here are answered there). */
  private subscribed: Promise<boolean> | undefined;
  private handler: RelayHandler | undefined;
  private streamHandler: RelayStreamHandler | undefined;
  private lastId = 0;
  /** Requests this node relayed, by id: what settles each. */
  private readonly pending = new Map<number, (response: RelayedResponse | undefined) => void>();
  /** Requests this node serves for others, by requester and id: what aborts each. */
  private readonly serving = new Map<string, AbortController>();
  /** Streams this node opened, waiting for the holder's answer, by id: what settles each. */
  private readonly opening = new Map<number, (answer: RelayedStream | RelayedRefusal | undefined) => void>();
  /** Open streams with an end on this node (opened here, or adopted for a session here), by opener and id. */
  private readonly streams = new Map<string, StreamEnd>();
  private readonly onMessage: MessageHandler = (message) => this.receive(message);
  /** @internal See {@link SessionRelayOptions.streamHighWaterMark}. */
  readonly streamHighWaterMark: number;

  /** See {@link createSessionRelay}. */
  constructor(pubClient: unknown, subClient: unknown, options?: SessionRelayOptions) {
    super();
    const { key, streamHighWaterMark } = resolveSessionRelayOptions(options);
    this.prefix = `${key}#relay#`;
    this.streamHighWaterMark = streamHighWaterMark;
    this.pubClient = pubClient;
    this.subClient = subClient;
    // Checked now rather than when the engine starts serving.
    checkClient(pubClient, 'pubClient');
    checkClient(subClient, 'subClient');
  }

  /** The engine starts serving: subscribes to this node's channel. */
  serve(handler: RelayHandler, streams?: RelayStreamHandler): void {
    if (this.connections !== undefined)
      throw new Error('this session relay serves an engine already: make one per engine');
    const onError = (err: Error): void => void this.emit('redis-error', err);
    const pub = new RedisConnection(this.pubClient, 'pubClient', onError);
    const sub = new RedisConnection(this.subClient, 'subClient', onError);
    const publisher = new Publisher(
      pub,
      (message) => encodeWith(MSGPACK_PARSER, message),
      (err) => void this.emit('publish-failure', err),
    );
    const connections = { pub, sub, publisher };
    this.connections = connections;
    this.handler = handler;
    this.streamHandler = streams;
    this.subscribed = connections.sub.subscribe('channel', [this.channel(this.nodeId)], this.onMessage).then(
      () => true,
      (err: unknown) => {
        this.emit('redis-error', toError(err));
        return false;
      },
    );
  }

  /** Carries a request to the node whose id starts `request.sid`; `undefined` if none answers. */
  async forward(request: RelayedRequest, signal: AbortSignal): Promise<RelayedResponse | undefined> {
    const holder = await this.holderOf(request.sid, signal);
    if (holder === undefined) return undefined;
    const id = ++this.lastId;
    return this.ask(
      this.pending,
      holder,
      { type: 'request', from: this.nodeId, id, ...request },
      signal,
      (_, aborted) => {
        // The holder is told the requester gave up, so that it stops serving the request.
        if (aborted) void this.publish(holder, { type: 'abort', from: this.nodeId, id });
      },
    );
  }

  /**
   * Opens a stream to the node whose id starts `sid`, for a WebSocket upgrade that reached this
   * node: resolves with this node's end once the holder adopted it, with the holder's refusal, or
   * with `undefined` if no node answers before `signal` aborts.
   */
  async open(sid: string, signal: AbortSignal): Promise<RelayedStream | RelayedRefusal | undefined> {
    const holder = await this.holderOf(sid, signal);
    if (holder === undefined) return undefined;
    const end = new StreamEnd(this, this.nodeId, ++this.lastId, holder);
    this.streams.set(streamKey(end), end);
    return this.ask(this.opening, holder, { type: 'open', from: this.nodeId, id: end.id, sid }, signal, (answer) => {
      // Unadopted, the end goes; adopted but given up on here, the holder's end closes too.
      if (answer !== end) end.close();
    });
  }

  /** The node that holds `sid`, once this node's channel is subscribed; `undefined` if it cannot be asked. */
  private async holderOf(sid: string, signal: AbortSignal): Promise<string | undefined> {
    const dot = sid.indexOf('.');
    if (dot <= 0 || this.subscribed === undefined || !(await this.subscribed) || signal.aborted) return undefined;
    return sid.slice(0, dot);
  }

  /**
   * Publishes a request or an opening to `holder` and resolves with its answer, which `answers`
   * settles by the message's id; with `undefined` when no node got the message, `signal` aborted
   * first (`aborted`), or the relay closed. `settled` sees the outcome first, once.
   */
  private ask<T>(
    answers: Map<number, (answer: T | undefined) => void>,
    holder: string,
    message: RelayMessage & { type: 'request' | 'open' },
    signal: AbortSignal,
    settled: (answer: T | undefined, aborted: boolean) => void,
  ): Promise<T | undefined> {
    const { id } = message;
    return new Promise((resolve) => {
      const settle = (answer: T | undefined, aborted = false): void => {
        if (answers.get(id) !== settle) return;
        answers.delete(id);
        signal.removeEventListener('abort', onAbort);
        settled(answer, aborted);
        resolve(answer);
      };
      const onAbort = (): void => settle(undefined, true);
      answers.set(id, settle);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.publish(holder, message).then((delivered) => {
        if (!delivered) settle(undefined);
      });
    });
  }

  /** The engine closed: unsubscribes, and ends what is pending either way. */
  close(): void {
    const connections = this.connections;
    if (connections === undefined) return;
    // Both ends of each stream hear of it: the other node by a last message, the engine here at once.
    for (const end of [...this.streams.values()]) {
      end.close('the node closed');
      end.listener?.onClose('the node closed');
    }
    this.connections = undefined;
    this.subscribed = undefined;
    this.handler = undefined;
    this.streamHandler = undefined;
    for (const settle of [...this.pending.values()]) settle(undefined);
    for (const settle of [...this.opening.values()]) settle(undefined);
    for (const controller of this.serving.values()) controller.abort();
    this.serving.clear();
    void connections.sub
      .unsubscribe('channel', [this.channel(this.nodeId)], this.onMessage)
      .catch(() => undefined)
      .finally(() => {
        connections.sub.dispose();
        connections.pub.dispose();
      });
  }

  private channel(nodeId: string): string {
    return this.prefix + nodeId;
  }

  /** @internal A stream's end closed. */
  forgetStream(end: StreamEnd): void {
    this.streams.delete(streamKey(end));
  }

  /** @internal Publishes on a node's channel (streams' ends do too); `true` when a subscriber got it. Never rejects. */
  async publish(nodeId: string, message: RelayMessage): Promise<boolean> {
    const connections = this.connections;
    if (connections === undefined) return false;
    const channel = this.channel(nodeId);
    const receivers = await connections.publisher.attempt(`a relay message to ${channel}`, () =>
      connections.pub.publish(channel, encodeWith(MSGPACK_PARSER, message)),
    );
    return Number(receivers) > 0;
  }

  private receive(bytes: Buffer): void {
    let message: RelayMessage;
    try {
      message = readMessage(decode(bytes));
    } catch (err) {
      this.emit('invalid-message', toError(err));
      return;
    }
    switch (message.type) {
      case 'response': {
        const { status, headers, body } = message;
        const answered = status !== undefined && headers !== undefined && body !== undefined;
        this.pending.get(message.id)?.(answered ? { status, headers, body } : undefined);
        break;
      }
      case 'abort':
        this.serving.get(streamKey(message))?.abort();
        break;
      case 'request':
        void this.serveRequest(message);
        break;
      case 'open':
        this.adopt(message);
        break;
      case 'opened':
        this.opened(message);
        break;
      case 'data':
      case 'congestion':
        this.streams.get(streamKey(message))?.received(message);
        break;
      case 'end':
        this.streams.get(streamKey(message))?.ended(message.error);
        break;
    }
  }

  /** Offers a stream another node opened to the engine, and answers whether it adopted it. */
  private adopt({ from, id, sid }: RelayMessage & { type: 'open' }): void {
    const end = new StreamEnd(this, from, id, from);
    this.streams.set(streamKey(end), end);
    let refusal: RelayedRefusal | undefined;
    try {
      refusal = this.streamHandler === undefined ? { code: EngineErrorCode.UnknownSid } : this.streamHandler(sid, end);
    } catch {
      // The engine's handler never throws; a foreign one that does refuses the stream.
      refusal = { code: EngineErrorCode.BadRequest };
    }
    if (refusal !== undefined) {
      this.forgetStream(end);
      void this.publish(from, { type: 'opened', from, id, code: refusal.code, name: refusal.name });
      return;
    }
    void this.publish(from, { type: 'opened', from, id }).then((delivered) => {
      if (!delivered) end.ended('the session relay could not reach the node that opened the stream');
    });
  }

  /** The holder answered a stream this node opened. */
  private opened({ id, code, name }: RelayMessage & { type: 'opened' }): void {
    const settle = this.opening.get(id);
    const end = this.streams.get(streamKey({ from: this.nodeId, id }));
    if (settle === undefined || end === undefined) return;
    settle(code === undefined ? end : name === undefined ? { code } : { code, name });
  }

  /** Runs a relayed request and publishes the answer (none, when this node does not hold the session). */
  private async serveRequest(message: RelayMessage & { type: 'request' }): Promise<void> {
    const { from, id, sid, method, headers, body } = message;
    const key = streamKey(message);
    const controller = new AbortController();
    this.serving.set(key, controller);
    let response: RelayedResponse | undefined;
    try {
      response = await this.handler?.({ sid, method, headers, body }, controller.signal);
    } catch {
      // The engine's handler never rejects; a foreign one that does leaves the request unanswered.
    }
    if (this.serving.get(key) !== controller) return; // closed meanwhile
    this.serving.delete(key);
    await this.publish(from, { type: 'response', id, ...response });
  }
}

/** Checks a decoded message field by field: it came from the network. Throws on anything else. */
function readMessage(value: unknown): RelayMessage {
  if (typeof value !== 'object' || value === null) throw new Error('relay message is not a map');
  const message = value as Record<string, unknown>;
  const { type, id, from } = message;
  if (!Number.isSafeInteger(id)) throw new Error('relay message without a valid id');
  if (type !== 'response' && !isNodeId(from)) throw new Error(`relay ${String(type)} without a valid sender`);
  const answered = message.status !== undefined;
  const fields =
    type === 'abort' ||
    (type === 'open' && typeof message.sid === 'string') ||
    (type === 'opened' &&
      (message.code === undefined || Number.isSafeInteger(message.code)) &&
      (message.name === undefined || typeof message.name === 'string')) ||
    (type === 'data' &&
      (typeof message.data === 'string' || message.data instanceof Uint8Array) &&
      (message.compress === undefined || message.compress === false)) ||
    (type === 'congestion' && typeof message.congested === 'boolean') ||
    (type === 'end' && (message.error === undefined || typeof message.error === 'string')) ||
    (type === 'request' &&
      typeof message.sid === 'string' &&
      (message.method === 'GET' || message.method === 'POST') &&
      isHeaders(message.headers) &&
      message.body instanceof Uint8Array) ||
    (type === 'response' &&
      (!answered ||
        (Number.isInteger(message.status) && isHeaders(message.headers) && message.body instanceof Uint8Array)));
  if (!fields) throw new Error(`relay message of type ${JSON.stringify(type)} with missing or invalid fields`);
  return value as RelayMessage;
}

/** How a stream, or a request being served, is named on both nodes: the node that sent it, and its id there. */
function streamKey({ from, id }: { readonly from: string; readonly id: number }): string {
  return `${from}#${id}`;
}

function isNodeId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !value.includes('.');
}

function isHeaders(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((header) => typeof header === 'string')
  );
}

const SESSION_RELAY_DEFAULTS: Required<SessionRelayOptions> = { key: 'socket.io', streamHighWaterMark: 1024 * 1024 };

function resolveSessionRelayOptions(options: SessionRelayOptions | undefined): Required<SessionRelayOptions> {
  if (options === undefined) return SESSION_RELAY_DEFAULTS;
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createSessionRelay: options must be an object');
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(SESSION_RELAY_DEFAULTS, name))
      throw new TypeError(
        `createSessionRelay: unsupported option "${name}"; the supported options are key and streamHighWaterMark`,
      );
  }
  const key = options.key ?? SESSION_RELAY_DEFAULTS.key;
  const streamHighWaterMark = options.streamHighWaterMark ?? SESSION_RELAY_DEFAULTS.streamHighWaterMark;
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError('createSessionRelay: option "key" must be a non-empty string');
  }
  if (!Number.isSafeInteger(streamHighWaterMark) || streamHighWaterMark < 1) {
    throw new TypeError(
      `createSessionRelay: option "streamHighWaterMark" must be a whole number of bytes from 1, got ${String(streamHighWaterMark)}`,
    );
  }
  return { key, streamHighWaterMark };
}

/**
 * Makes the `sessionRelay` of one Switchboard server: polling clients then need no sticky
 * sessions, whichever node a load balancer sends each request (or their upgrade to WebSocket)
 * to. Pass the same clients as the adapter's, or others; `subClient` must be a subscriber
 * connection of its own (`duplicate()`).
 *
 * @example
 * import { createClient } from 'redis';
 * import { Server } from 'switchboard/server';
 * import { createAdapter, createSessionRelay } from 'switchboard/redis';
 *
 * const pubClient = createClient({ url: 'redis://localhost:6379' });
 * const subClient = pubClient.duplicate();
 * await Promise.all([pubClient.connect(), subClient.connect()]);
 * const io = new Server(httpServer, {
 *   adapter: createAdapter(pubClient, subClient),
 *   sessionRelay: createSessionRelay(pubClient, subClient),
 * });
 */
export function createSessionRelay(
  pubClient: unknown,
  subClient: unknown,
  options?: SessionRelayOptions,
): RedisSessionRelay {
  return new RedisSessionRelay(pubClient, subClient, options);
}
