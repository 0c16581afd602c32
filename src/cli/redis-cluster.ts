import type { createClient } from 'redis';
import { loadOptionalPackage } from './optional-package.js';
import type { ServerOptions } from '../server/index.js';
import { createSessionRelay, createStreamsAdapter } from '../redis/index.js';
import { UsageError } from './command.js';

/** Longest wait between two attempts to reach Redis again once the node has been connected. */
const MAX_RECONNECT_DELAY = 5000;
/** How long one attempt to open the connection to Redis may take. */
const CONNECT_TIMEOUT = 5000;

/** What makes a realtime server one node of a cluster, and the Redis connections behind it. */
export interface RedisClusterNode {
  /** The options that make the realtime server a node: its adapter and its session relay. */
  readonly realtime: Pick<ServerOptions, 'adapter' | 'sessionRelay'>;
  /** The Redis URL as it may be printed: without its password. */
  readonly shownUrl: string;
  /** Drops the Redis connections; call it once the realtime server has closed. */
  close(): void;
}

/** Why connecting to Redis failed, said so that the person who typed the URL knows what to fix. */
export class RedisUnreachableError extends Error {
  constructor(shownUrl: string, cause: unknown) {
    super(`cannot reach Redis at ${shownUrl}: ${failureReason(cause)}`, { cause });
    this.name = 'RedisUnreachableError';
  }
}

/** Checks a `--redis` URL such as `redis://127.0.0.1:6379` (or `rediss://` for TLS). */
export function parseRedisUrl(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || !/^rediss?:$/.test(url.protocol) || url.hostname === '')
    throw new UsageError(`--redis must be a URL like redis://127.0.0.1:6379, got "${text}"`);
  return url;
}

/**
 * Connects to Redis and returns the options that make a realtime server a node of the cluster
 * sharing it: the Streams adapter (broadcasts reach every node's clients, and a client that drops
 * recovers its session on whichever node it comes back to) and the session relay (a long-polling
 * request that a round-robin proxy sends to another node than the session's is served there).
 * Fails with {@link RedisUnreachableError} when Redis cannot be reached; once connected, a lost
 * connection is retried for as long as the node runs, and `onStatus` hears of it.
 */
export async function joinRedisCluster(url: URL, onStatus: (line: string) => void): Promise<RedisClusterNode> {
  const shown = new URL(url.href);
  if (shown.password !== '') shown.password = '***';
  const shownUrl = shown.href;
  let connected = false;
  const redis = loadOptionalPackage('redis', 'switchboard serve --redis') as { createClient: typeof createClient };
  const client = redis.createClient({
    url: url.href,
    socket: {
      connectTimeout: CONNECT_TIMEOUT,
      // Until the first connection a failure is final, so that a wrong URL ends the command with
      // its reason; after it, Redis restarting must not end the node, so it retries, backing off.
      reconnectStrategy: (retries, cause) => (connected ? Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY) : cause),
    },
  });
  // The relay's subscriber is a connection of its own; the adapter duplicates the ones it needs.
  const subscriber = client.duplicate();
  let lost = false;
  for (const connection of [client, subscriber]) {
    // Without a listener an error event would end the process; the adapter and the relay report
    // theirs to their own listeners, this says once per outage what the operator needs to know.
    connection.on('error', (error: unknown) => {
      if (!connected || lost) return;
      lost = true;
      onStatus(`Lost the connection to Redis at ${shownUrl} (${failureReason(error)}); retrying`);
    });
    connection.on('ready', () => {
      if (!lost || !client.isReady || !subscriber.isReady) return;
      lost = false;
      onStatus(`Connected to Redis at ${shownUrl} again`);
    });
  }
  try {
    await Promise.all([client.connect(), subscriber.connect()]);
  } catch (error) {
    // The one that failed has closed itself; the other may have connected.
    for (const connection of [client, subscriber]) if (connection.isOpen) connection.destroy();
    throw new RedisUnreachableError(shownUrl, error);
  }
  connected = true;
  return {
    realtime: { adapter: createStreamsAdapter(client), sessionRelay: createSessionRelay(client, subscriber) },
    shownUrl,
    close() {
      // Not a graceful QUIT: with Redis down it would wait for a reconnection that may never come,
      // and the realtime server, closed first, has nothing left to send.
      client.destroy();
      subscriber.destroy();
    },
  };
}

function failureReason(error: unknown): string {
  // Connecting to a name with several addresses fails with one error per address.
  const first = error instanceof AggregateError && error.errors.length > 0 ? (error.errors[0] as unknown) : error;
  return first instanceof Error && first.message !== '' ? first.message : String(first);
}
