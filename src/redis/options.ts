import { MSGPACK_PARSER, type Parser } from './parser.js';

/** Options of {@link createAdapter}, as `@socket.io/redis-adapter` names them. */
export interface RedisAdapterOptions {
  /**
   * Prefix of every channel; nodes and emitters sharing one must share it.
   * @default 'socket.io'
   */
  key?: string;
  /**
   * How long a request to the other nodes (`fetchSockets`, `serverSideEmitWithAck`, counting
   * them) may wait, in ms. A node that died without Redis noticing delays it this long at most.
   * @default 5000
   */
  requestsTimeout?: number;
  /**
   * Send each response only to the node that asked (on its own channel), instead of on the
   * channel every node reads.
   * @default false
   */
  publishOnSpecificResponseChannel?: boolean;
  /**
   * How messages become bytes; every node and emitter on the key must use the same.
   * @default MessagePack (what the official adapter uses)
   */
  parser?: Parser;
}

/** How a sharded adapter subscribes: see {@link ShardedRedisAdapterOptions.subscriptionMode}. */
export type SubscriptionMode = 'static' | 'dynamic' | 'dynamic-private';

/** Options of {@link createShardedAdapter}, as the official sharded adapter names them. */
export interface ShardedRedisAdapterOptions {
  /**
   * Prefix of every shard channel.
   * @default 'socket.io'
   */
  channelPrefix?: string;
  /**
   * `static`: two shard channels per namespace, whatever the rooms. `dynamic`: also one per
   * room a node holds, except the rooms named after a socket id, so a room's broadcasts reach
   * only the nodes holding it. `dynamic-private`: one per room, those of single sockets too.
   * @default 'dynamic'
   */
  subscriptionMode?: SubscriptionMode;
  /**
   * How long a request to the other nodes may wait, in ms.
   * @default 5000
   */
  requestsTimeout?: number;
}

/** Options of {@link createStreamsAdapter}, as `@socket.io/redis-streams-adapter` names them. */
export interface StreamsAdapterOptions {
  /**
   * The Redis stream every namespace's broadcasts, joins, leaves and disconnections go through.
   * @default 'socket.io'
   */
  streamName?: string;
  /**
   * The stream is trimmed to about this many entries (`XADD … MAXLEN ~`): a client can recover
   * only while the packets it missed are still there.
   * @default 10000
   */
  maxLen?: number;
  /**
   * Entries read per XREAD, and per XRANGE page when a session is restored.
   * @default 100
   */
  readCount?: number;
  /**
   * How long one XREAD waits for new entries, in ms.
   * @default 5000
   */
  blockTimeInMs?: number;
  /**
   * Prefix of the keys sessions are kept under, each for `maxDisconnectionDuration`.
   * @default 'sio:session:'
   */
  sessionKeyPrefix?: string;
  /**
   * Prefix of the pub/sub channels of requests and responses (the messages not worth keeping).
   * @default 'socket.io'
   */
  channelPrefix?: string;
  /**
   * Use sharded pub/sub (SPUBLISH, SSUBSCRIBE: Redis 7) for those channels.
   * @default false
   */
  useShardedPubSub?: boolean;
  /**
   * Skip looking for binary data: every message is written as JSON (Buffers would be lost).
   * @default false
   */
  onlyPlaintext?: boolean;
  /**
   * How long a request to the other nodes (and counting them) may wait, in ms.
   * @default 5000
   */
  requestsTimeout?: number;
  /**
   * Accepted for compatibility with the official adapter, which can spread namespaces over
   * several streams: only `1` is supported.
   * @default 1
   */
  streamCount?: 1;
}

/** Options of an {@link Emitter}, as `@socket.io/redis-emitter` names them. */
export interface EmitterOptions {
  /**
   * Prefix of every channel, the `key` of the adapters it talks to.
   * @default 'socket.io'
   */
  key?: string;
  /**
   * How messages become bytes: the `parser` of the adapters it talks to.
   * @default MessagePack
   */
  parser?: Parser;
}

/** What each option must be: a check, and what to say when it is not. */
type Rule = readonly [check: (value: unknown) => boolean, expected: string];

const NON_EMPTY_STRING: Rule = [(value) => typeof value === 'string' && value.length > 0, 'a non-empty string'];
const TIMEOUT: Rule = [
  (value) => typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 2_147_483_647,
  'a positive whole number of milliseconds',
];
const BOOLEAN: Rule = [(value) => typeof value === 'boolean', 'a boolean'];
const PARSER: Rule = [
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Parser>).encode === 'function' &&
    typeof (value as Partial<Parser>).decode === 'function',
  'an object with encode() and decode() methods',
];
const MODE: Rule = [
  (value) => value === 'static' || value === 'dynamic' || value === 'dynamic-private',
  '"static", "dynamic" or "dynamic-private"',
];

/**
 * Checks `options` against `rules` and throws a `TypeError` naming the first option that is
 * unknown (with `hints` saying what to use instead, for options of the official packages that
 * have another name here) or of the wrong kind.
 */
function check(
  where: string,
  options: object | undefined,
  rules: Readonly<Record<string, Rule>>,
  hints: Readonly<Record<string, string>> = {},
): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options must be an object`);
  for (const [name, value] of Object.entries(options)) {
    const rule = rules[name];
    if (!rule) {
      const instead = hints[name] ?? `the supported options are ${Object.keys(rules).join(', ')}`;
      throw new TypeError(`${where}: unsupported option "${name}"; ${instead}`);
    }
    if (value !== undefined && !rule[0](value)) throw new TypeError(`${where}: option "${name}" must be ${rule[1]}`);
  }
}

/** The checked options of a classic adapter, defaults filled in. */
export function resolveAdapterOptions(options: RedisAdapterOptions | undefined): Required<RedisAdapterOptions> {
  check('createAdapter', options, {
    key: NON_EMPTY_STRING,
    requestsTimeout: TIMEOUT,
    publishOnSpecificResponseChannel: BOOLEAN,
    parser: PARSER,
  });
  return {
    key: options?.key ?? 'socket.io',
    requestsTimeout: options?.requestsTimeout ?? 5000,
    publishOnSpecificResponseChannel: options?.publishOnSpecificResponseChannel ?? false,
    parser: options?.parser ?? MSGPACK_PARSER,
  };
}

/** The checked options of a sharded adapter, defaults filled in. */
export function resolveShardedOptions(
  options: ShardedRedisAdapterOptions | undefined,
): Required<ShardedRedisAdapterOptions> {
  check(
    'createShardedAdapter',
    options,
    { channelPrefix: NON_EMPTY_STRING, subscriptionMode: MODE, requestsTimeout: TIMEOUT },
    {
      key: 'use channelPrefix',
      parser: 'the sharded protocol is fixed: JSON, or MessagePack for messages with binary data',
      publishOnSpecificResponseChannel: 'sharded responses always go to the node that asked',
    },
  );
  return {
    channelPrefix: options?.channelPrefix ?? 'socket.io',
    subscriptionMode: options?.subscriptionMode ?? 'dynamic',
    requestsTimeout: options?.requestsTimeout ?? 5000,
  };
}

const COUNT: Rule = [
  (value) => typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 2 ** 31 - 1,
  'a positive whole number',
];

/** The checked options of a Streams adapter, defaults filled in. */
export function resolveStreamsOptions(options: StreamsAdapterOptions | undefined): Required<StreamsAdapterOptions> {
  check(
    'createStreamsAdapter',
    options,
    {
      streamName: NON_EMPTY_STRING,
      maxLen: COUNT,
      readCount: COUNT,
      blockTimeInMs: TIMEOUT,
      sessionKeyPrefix: NON_EMPTY_STRING,
      channelPrefix: NON_EMPTY_STRING,
      useShardedPubSub: BOOLEAN,
      onlyPlaintext: BOOLEAN,
      requestsTimeout: TIMEOUT,
      streamCount: [(value) => value === 1, '1: every namespace shares the one stream named by streamName'],
    },
    {
      heartbeatInterval: 'nodes are counted by their subscriptions, not by heartbeats',
      heartbeatTimeout: 'nodes are counted by their subscriptions, not by heartbeats',
      key: 'use streamName and channelPrefix',
      parser: 'the Streams format is fixed: JSON, or MessagePack for messages with binary data',
    },
  );
  return {
    streamName: options?.streamName ?? 'socket.io',
    maxLen: options?.maxLen ?? 10_000,
    readCount: options?.readCount ?? 100,
    blockTimeInMs: options?.blockTimeInMs ?? 5000,
    sessionKeyPrefix: options?.sessionKeyPrefix ?? 'sio:session:',
    channelPrefix: options?.channelPrefix ?? 'socket.io',
    useShardedPubSub: options?.useShardedPubSub ?? false,
    onlyPlaintext: options?.onlyPlaintext ?? false,
    requestsTimeout: options?.requestsTimeout ?? 5000,
    streamCount: 1,
  };
}

/** The checked options of an emitter, defaults filled in. */
export function resolveEmitterOptions(options: EmitterOptions | undefined): Required<EmitterOptions> {
  check('Emitter', options, { key: NON_EMPTY_STRING, parser: PARSER });
  return { key: options?.key ?? 'socket.io', parser: options?.parser ?? MSGPACK_PARSER };
}
