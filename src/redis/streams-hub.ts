import { duplicateClient, RedisConnection, type OwnConnection, type RedisClient } from './redis-client.js';
import type { StreamEntry } from './stream-entries.js';
import { StreamReader } from './stream-reader.js';

/** What the hub asks of each namespace's adapter. */
export interface StreamsHubMember {
  /** The namespace's name: entries are routed by their `nsp` field. */
  readonly nspName: string;
  /** Handles one entry of this namespace, in stream order; must not throw. */
  onEntry(id: string, fields: readonly string[]): void;
  /** Reports a Redis error of the shared connections. */
  onRedisError(error: Error): void;
}

/** How the hub reads. */
export interface StreamsHubSettings {
  readonly stream: string;
  readonly readCount: number;
  readonly blockTime: number;
}

/**
 * What the namespaces of one `createStreamsAdapter()` share: one connection subscribed to their
 * channels and one reading the stream (both made from the application's client), and the reader.
 * Opened with the first namespace, closed with the last.
 */
export class StreamsHub {
  private readonly members = new Map<string, StreamsHubMember>();
  private subscriber: OwnConnection | undefined;
  private reading: { connection: OwnConnection; reader: StreamReader } | undefined;
  private started: Promise<StreamReader> | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly settings: StreamsHubSettings,
  ) {}

  /** The connection the namespaces subscribe with (opened now if needed; see {@link start}). */
  get subscriberClient(): RedisClient {
    this.subscriber ??= duplicateClient(this.client);
    return this.subscriber.client;
  }

  /**
   * Adds a namespace and resolves with the reader once both connections are up. The reader starts
   * after the stream's last entry, asked for on `pub`, the connection the namespaces write with:
   * whatever they write from then on comes after it.
   */
  start(member: StreamsHubMember, pub: RedisConnection): Promise<StreamReader> {
    this.members.set(member.nspName, member);
    this.started ??= this.open(pub).catch((err: unknown) => {
      // Redis was away: the next namespace to start tries again.
      this.started = undefined;
      throw err;
    });
    return this.started;
  }

  /** Removes a namespace; the last one closes the connections. */
  leave(member: StreamsHubMember): void {
    if (this.members.get(member.nspName) === member) this.members.delete(member.nspName);
    if (this.members.size > 0) return;
    this.reading?.reader.stop();
    this.reading?.connection.close();
    this.subscriber?.close();
    this.reading = undefined;
    this.subscriber = undefined;
    this.started = undefined;
  }

  private async open(pub: RedisConnection): Promise<StreamReader> {
    const subscriber = (this.subscriber ??= duplicateClient(this.client));
    const own = duplicateClient(this.client);
    const reportTo = (error: Error): void => {
      for (const member of this.members.values()) member.onRedisError(error);
    };
    const connection = new RedisConnection(own.client, 'the stream reader', reportTo);
    let from: string;
    try {
      const last = await pub.command(['XREVRANGE', this.settings.stream, '+', '-', 'COUNT', '1']);
      from = Array.isArray(last) && Array.isArray(last[0]) ? String(last[0][0]) : '0-0';
      await Promise.all([subscriber.connected, own.connected]);
    } catch (err) {
      connection.dispose();
      own.close();
      throw err;
    }
    const reader = new StreamReader(
      connection,
      { ...this.settings, onEntries: (entries) => this.route(entries), onError: reportTo },
      from,
    );
    this.reading = { connection: own, reader };
    void reader.start().finally(() => connection.dispose());
    return reader;
  }

  private route(entries: StreamEntry[]): void {
    for (const [id, fields] of entries) {
      const nsp = fieldOf(fields, 'nsp');
      if (nsp !== undefined) this.members.get(nsp)?.onEntry(id, fields);
    }
  }
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
