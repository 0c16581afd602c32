/**
 * A chat demo client for tests, on Switchboard's own WebSocket: it queues what the server sends
 * (JSON messages and relayed files, in order) so a test can await the next one with a deadline.
 */
import {
  decodeSharedFile,
  encodeFileFrame,
  type ServerMessage,
  type SharedFile,
} from '../../src/cli/chat/chat-protocol.js';
import { WebSocket } from '../../src/ws/index.js';

/** One thing the server sent: a JSON message or a relayed file. */
export type Inbound =
  { readonly kind: 'text'; readonly message: ServerMessage } | { readonly kind: 'file'; readonly file: SharedFile };

/** How the connection ended. */
export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A connected chat client; see the module comment. */
export class TestChatClient {
  private readonly inbox: Inbound[] = [];
  private wake: (() => void) | undefined;
  /** Resolves when the connection has closed. */
  readonly closed: Promise<Closed>;
  private ended = false;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.inbox.push(
        isBinary
          ? { kind: 'file', file: decodeSharedFile(data) }
          : { kind: 'text', message: JSON.parse(data.toString()) as ServerMessage },
      );
      this.wake?.();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code: number, reason: Buffer) => {
        this.ended = true;
        this.wake?.();
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  /** Opens a connection to the chat endpoint at `url` (a `ws:` URL), with extra handshake `headers`. */
  static open(url: string, headers: Record<string, string> = {}): Promise<TestChatClient> {
    const socket = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestChatClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Opens a connection and joins as `nick`, resolving once welcomed. */
  static async join(url: string, nick: string): Promise<TestChatClient> {
    const client = await TestChatClient.open(url);
    client.send({ type: 'join', nick });
    const welcome = await client.nextText('welcome');
    if (welcome.nick !== nick) throw new Error(`joined as ${welcome.nick}, not ${nick}`);
    return client;
  }

  /** Sends a JSON message (an object) or raw text (a string) as a text frame. */
  send(message: object | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Offers a file as the chat page does. */
  sendFile(name: string, type: string, bytes: Uint8Array): void {
    this.socket.send(encodeFileFrame({ name, type }, bytes), { binary: true });
  }

  /** The next inbound item, in order; rejects after `timeoutMs` or when the connection closes first. */
  async next(timeoutMs = 5000): Promise<Inbound> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.ended) throw new Error('connection closed while waiting for a message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nothing arrived within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.inbox.shift()!;
  }

  /** The next inbound item, which must be a JSON message of `type`. */
  async nextText<T extends ServerMessage['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const item = await this.next(timeoutMs);
    if (item.kind !== 'text' || item.message.type !== type)
      throw new Error(`expected a "${type}" message, got ${JSON.stringify(item)}`);
    return item.message as Extract<ServerMessage, { type: T }>;
  }

  /** The next inbound item, which must be a relayed file. */
  async nextFile(timeoutMs?: number): Promise<SharedFile> {
    const item = await this.next(timeoutMs);
    if (item.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(item)}`);
    return item.file;
  }

  /** Whether nothing has arrived that was not yet taken with `next`. */
  get idle(): boolean {
    return this.inbox.length === 0;
  }

  /** Closes with 1000 and waits for the close handshake to finish. */
  async close(): Promise<Closed> {
    this.socket.close(1000);
    return this.closed;
  }
}
