import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { decode } from '@msgpack/msgpack';
import type { RelayHandler, RelayedRequest, RelayedResponse } from '../protocol/engine-io/relayed-request.js';
import { MSGPACK_PARSER, encodeWith } from './parser.js';
import { Publisher, toError } from './publisher.js';
import { RedisConnection, checkClient, type MessageHandler } from './redis-client.js';

// The engine's `SessionRelay` port (`switchboard/engine`) takes these shapes, defined once in the
// protocol layer, which both may import; `switchboard/redis` exports them under its own names.
export type {
  RelayedRequest as RelayRequest,
  RelayedResponse as RelayResponse,
  RelayHandler as RelayRequestHandler,
} from '../protocol/engine-io/relayed-request.js';

/** Options of {@link createSessionRelay}. */
export interface SessionRelayOptions {
  /**
   * Prefix of the relay's channels (`<key>#relay#<nodeId>`); every node of the cluster must use
   * the same.
   * @default 'socket.io'
   */
  key?: string;
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

/** What travels on a node's channel: a request, the answer to one, or the requester giving up. */
type RelayMessage =
  | ({ readonly type: 'request'; readonly from: string; readonly id: number } & RelayedRequest)
  | ({ readonly type: 'response'; readonly id: number } & Partial<RelayedResponse>)
  | { readonly type: 'abort'; readonly from: string; readonly id: number };

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
  private lastId = 0;
  /** Requests this node relayed, by id: what settles each. */
  private readonly pending = new Map<number, (response: RelayedResponse | undefined) => void>();
  /** Requests this node serves for others, by requester and id: what aborts each. */
  private readonly serving = new Map<string, AbortController>();
  private readonly onMessage: MessageHandler = (message) => this.receive(message);

  /** See {@link createSessionRelay}. */
  constructor(pubClient: unknown, subClient: unknown, options?: SessionRelayOptions) {
    super();
    this.prefix = `${resolveKey(options)}#relay#`;
    this.pubClient = pubClient;
    this.subClient = subClient;
    // Checked now rather than when the engine starts serving.
    checkClient(pubClient, 'pubClient');
    checkClient(subClient, 'subClient');
  }

  /** The engine starts serving: subscribes to this node's channel. */
  serve(handler: RelayHandler): void {
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
    const dot = request.sid.indexOf('.');
    if (dot <= 0 || this.subscribed === undefined || !(await this.subscribed) || signal.aborted) return undefined;
    const holder = request.sid.slice(0, dot);
    const id = ++this.lastId;
    return new Promise((resolve) => {
      const settle = (response: RelayedResponse | undefined): void => {
        if (this.pending.get(id) !== settle) return;
        this.pending.delete(id);
        signal.removeEventListener('abort', onAbort);
        resolve(response);
      };
      const onAbort = (): void => {
        settle(undefined);
        void this.publish(holder, { type: 'abort', from: this.nodeId, id });
      };
      this.pending.set(id, settle);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.publish(holder, { type: 'request', from: this.nodeId, id, ...request }).then((delivered) => {
        if (!delivered) settle(undefined);
      });
    });
  }

  /** The engine closed: unsubscribes, and ends what is pending either way. */
  close(): void {
    const connections = this.connections;
    if (connections === undefined) return;
    this.connections = undefined;
    this.subscribed = undefined;
    this.handler = undefined;
    for (const settle of [...this.pending.values()]) settle(undefined);
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

  /** Publishes on a node's channel; `true` when a subscriber got it. Never rejects. */
  private async publish(nodeId: string, message: RelayMessage): Promise<boolean> {
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
        this.serving.get(`${message.from}#${message.id}`)?.abort();
        break;
      case 'request':
        void this.serveRequest(message);
        break;
    }
  }

  /** Runs a relayed request and publishes the answer (none, when this node does not hold the session). */
  private async serveRequest(message: RelayMessage & { type: 'request' }): Promise<void> {
    const { from, id, sid, method, headers, body } = message;
    const key = `${from}#${id}`;
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

function resolveKey(options: SessionRelayOptions | undefined): string {
  if (options === undefined) return 'socket.io';
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createSessionRelay: options must be an object');
  for (const name of Object.keys(options)) {
    if (name !== 'key')
      throw new TypeError(`createSessionRelay: unsupported option "${name}"; the supported option is key`);
  }
  const key = options.key ?? 'socket.io';
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError('createSessionRelay: option "key" must be a non-empty string');
  }
  return key;
}

/**
 * Makes the `sessionRelay` of one Switchboard server: polling clients then need no sticky
 * sessions, whichever node a load balancer sends each request to. Pass the same clients as the
 * adapter's, or others; `subClient` must be a subscriber connection of its own (`duplicate()`).
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
