import { CloseCode, ReadyState } from '../../protocol/index.js';
import { checkDelay } from '../../engine/check-delay.js';
import { checkInteger } from '../../protocol/index.js';
import {
  defaultChatLimits,
  encodeFileFrame,
  MAX_FILE_HEADER_BYTES,
  parseClientMessage,
  parseFileFrame,
  type ChatLimits,
  type ServerMessage,
} from './chat-protocol.js';
import { TokenBucket } from './token-bucket.js';

/** The part of a server-side WebSocket the chat room uses (Switchboard's `WebSocket` and `ws` both fit). */
export interface ChatSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Buffer, options?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Writes the same message to every socket `filter` picks. A WebSocket server's `broadcast` fits:
 * it frames the message once and writes the same bytes to each recipient.
 */
export type FanOut = (data: Buffer, binary: boolean, filter: (socket: ChatSocket) => boolean) => void;

/** Options of a {@link ChatRoom}. */
export interface ChatRoomOptions {
  /** Limits on nicknames, messages and files; unset fields keep their defaults. @default defaultChatLimits */
  readonly limits?: Partial<ChatLimits>;
  /**
   * Most members at once: connections that have joined. A `join` past it is closed with 1013 (Try
   * Again Later). Connections that have not joined yet are not counted, so idle connections cannot
   * fill the room; `joinTimeout` (and the server's cap per client address) bounds those instead.
   * @default 100
   */
  readonly maxMembers?: number;
  /**
   * Milliseconds a connection has, from when the room accepts it, to join (a refused nickname does
   * not restart the clock); past it, it is closed with 1008 (Policy Violation).
   * @default 10000
   */
  readonly joinTimeout?: number;
  /** Messages (text or file) a connection may send in a burst. @default 20 */
  readonly burst?: number;
  /** Messages per second a connection may send once its burst is spent; faster closes with 1008. @default 5 */
  readonly messagesPerSecond?: number;
  /**
   * Bytes queued for one member above which it is dropped (terminated) instead of sent more: a reader
   * that cannot keep up must not make the server hold every message for it.
   * @default 16777216 (16 MiB)
   */
  readonly maxBufferedBytes?: number;
  /** The clock, for message timestamps and rate limits. @default Date.now */
  readonly now?: () => number;
  /**
   * How a message reaches every member: `(data, binary, filter) => wss.broadcast(data, { binary, filter })`
   * frames it once for all of them.
   * @default a `send` to each member in turn
   */
  readonly fanOut?: FanOut;
}

/** One connection and what the room knows about it. */
interface Member {
  readonly socket: ChatSocket;
  readonly bucket: TokenBucket;
  nick: string | undefined;
  /** Closes the connection if it has not joined in time; cleared once it joins or closes. */
  joinDeadline: NodeJS.Timeout | undefined;
}

/** How long a connection has to join unless told otherwise (ms). */
export const DEFAULT_JOIN_TIMEOUT = 10_000;

/** The close reason of a connection that did not join within `joinTimeout`. */
export const JOIN_TIMEOUT_REASON = 'did not join in time';

/**
 * The chat demo's server side: it takes accepted WebSocket connections, lets each pick a unique
 * nickname, relays messages and files to every member, and announces joins and leaves with the
 * current user list. Every inbound frame is checked (`chat-protocol.ts`); a frame the chat page
 * would never send closes that connection with 1008 (Policy Violation), while a taken or invalid
 * nickname only gets a `rejected` reply so the person can try another.
 *
 * @example
 * const room = new ChatRoom({ fanOut: (data, binary, filter) => wss.broadcast(data, { binary, filter }) });
 * wss.on('connection', (socket) => room.accept(socket));
 * process.on('SIGTERM', () => void room.close());
 */
export class ChatRoom {
  /** The limits in force. */
  readonly limits: ChatLimits;
  /** Every open connection, joined or not. */
  private readonly connections = new Map<ChatSocket, Member>();
  /** The members: connections that have joined, by nickname in lower case. */
  private readonly nicknames = new Map<string, Member>();
  private readonly maxMembers: number;
  private readonly joinTimeout: number;
  private readonly burst: number;
  private readonly messagesPerSecond: number;
  private readonly maxBufferedBytes: number;
  private readonly now: () => number;
  private readonly writeToAll: FanOut;
  private closing = false;

  constructor(options: ChatRoomOptions = {}) {
    this.limits = { ...defaultChatLimits, ...options.limits };
    this.maxMembers = options.maxMembers ?? 100;
    this.joinTimeout = checkDelay('joinTimeout', options.joinTimeout ?? DEFAULT_JOIN_TIMEOUT);
    this.burst = options.burst ?? 20;
    this.messagesPerSecond = options.messagesPerSecond ?? 5;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.now = options.now ?? Date.now;
    this.writeToAll = options.fanOut ?? ((data, binary, filter) => this.sendToEach(data, binary, filter));
    for (const [name, value] of Object.entries({ ...this.limits, maxMembers: this.maxMembers, burst: this.burst }))
      checkInteger(name, value, 1);
    if (!(this.messagesPerSecond > 0))
      throw new TypeError(`messagesPerSecond must be > 0, got ${this.messagesPerSecond}`);
    if (!(this.maxBufferedBytes >= 0))
      throw new TypeError(`maxBufferedBytes must be ≥ 0, got ${this.maxBufferedBytes}`);
  }

  /**
   * The largest frame a member can legitimately send: a full-size file plus its header. Give it to
   * the WebSocket server as `maxPayload` so anything bigger is refused with 1009 before it is buffered.
   */
  get maxFrameBytes(): number {
    return this.limits.maxFileBytes + 2 + MAX_FILE_HEADER_BYTES;
  }

  /** The nicknames of everyone who has joined, in joining order. */
  get users(): string[] {
    return [...this.nicknames.values()].map((member) => member.nick!);
  }

  /** Takes a freshly accepted connection into the room; it becomes a member once it sends `join`. */
  accept(socket: ChatSocket): void {
    // Errors are followed by 'close', where the member is removed; a listener keeps them from being thrown.
    socket.on('error', () => undefined);
    if (this.closing) {
      socket.close(CloseCode.GoingAway, 'server shutting down');
      return;
    }
    const member: Member = {
      socket,
      bucket: new TokenBucket(this.burst, this.messagesPerSecond, this.now),
      nick: undefined,
      // RFC 6455 §7.4.1: 1008 is the generic code for breaking the endpoint's policy, and idling
      // unjoined does. 1013 would tell the client to retry, though nothing here is overloaded.
      joinDeadline: setTimeout(() => this.violation(member, JOIN_TIMEOUT_REASON), this.joinTimeout).unref(),
    };
    this.connections.set(socket, member);
    socket.on('message', (data, isBinary) => this.receive(member, data, isBinary));
    socket.on('close', () => this.remove(member));
  }

  /**
   * Closes every connection with 1001 (Going Away) and resolves once all have closed, or after
   * `timeoutMs`, when those still open are terminated. New connections are turned away from then on.
   */
  async close(timeoutMs = 2000): Promise<void> {
    this.closing = true;
    const pending = [...this.connections.values()].map(
      (member) =>
        new Promise<void>((resolve) => {
          member.socket.on('close', resolve);
          if (member.socket.readyState === ReadyState.CLOSED) resolve();
        }),
    );
    for (const socket of this.connections.keys()) socket.close(CloseCode.GoingAway, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(pending), timedOut]);
    clearTimeout(timer);
    for (const socket of this.connections.keys()) socket.terminate();
  }

  private receive(member: Member, data: Buffer, isBinary: boolean): void {
    if (!member.bucket.take()) {
      this.violation(member, 'too many messages');
      return;
    }
    if (isBinary) {
      this.receiveFile(member, data);
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'), this.limits);
    if (!parsed.ok) {
      // A nickname the page let through (the rules differ, say) deserves an answer, not a hang-up.
      if (member.nick === undefined && parsed.reason.startsWith('nickname'))
        this.send(member, { type: 'rejected', reason: parsed.reason });
      else this.violation(member, parsed.reason);
      return;
    }
    const message = parsed.value;
    if (message.type === 'join') {
      if (member.nick !== undefined) this.violation(member, 'already joined');
      else this.join(member, message.nick);
      return;
    }
    if (member.nick === undefined) {
      this.violation(member, 'join first');
      return;
    }
    this.broadcast({ type: 'message', from: member.nick, text: message.text, at: this.now() });
  }

  private receiveFile(member: Member, data: Buffer): void {
    if (member.nick === undefined) {
      this.violation(member, 'join first');
      return;
    }
    const offer = parseFileFrame(data, this.limits);
    if (!offer.ok) {
      this.violation(member, offer.reason);
      return;
    }
    const { name, type, bytes } = offer.value;
    // One encoding for every recipient, the sender included: seeing your own file come back is the round trip.
    this.fanOut(encodeFileFrame({ from: member.nick, name, type, at: this.now() }, bytes), true);
  }

  private join(member: Member, nick: string): void {
    // Full means full of members: connections that never join take no place from people who do.
    if (this.nicknames.size >= this.maxMembers) {
      member.socket.close(CloseCode.TryAgainLater, 'chat is full');
      return;
    }
    // Nicknames are unique regardless of case, so "Ada" and "ada" cannot impersonate each other.
    const key = nick.toLowerCase();
    if (this.nicknames.has(key)) {
      this.send(member, { type: 'rejected', reason: `“${nick}” is taken` });
      return;
    }
    member.nick = nick;
    clearTimeout(member.joinDeadline);
    this.nicknames.set(key, member);
    const users = this.users;
    this.send(member, { type: 'welcome', nick, users, limits: this.limits });
    this.broadcast({ type: 'joined', nick, users }, member);
  }

  private remove(member: Member): void {
    if (!this.connections.delete(member.socket)) return;
    clearTimeout(member.joinDeadline);
    if (member.nick === undefined) return;
    this.nicknames.delete(member.nick.toLowerCase());
    if (!this.closing) this.broadcast({ type: 'left', nick: member.nick, users: this.users });
  }

  private violation(member: Member, reason: string): void {
    // RFC 6455 §7.4.1: 1008 is for a message that violates the endpoint's policy.
    // The reason must fit in a control frame: 123 bytes after the code.
    member.socket.close(CloseCode.PolicyViolation, Buffer.byteLength(reason) <= 123 ? reason : 'policy violation');
  }

  private send(member: Member, message: ServerMessage): void {
    if (member.socket.readyState === ReadyState.OPEN) member.socket.send(JSON.stringify(message));
  }

  /** Sends a message to every joined member but `except`; it is encoded once for all of them. */
  private broadcast(message: ServerMessage, except?: Member): void {
    this.fanOut(Buffer.from(JSON.stringify(message)), false, except);
  }

  /** Writes the same bytes to every joined member but `except`, dropping members too far behind. */
  private fanOut(bytes: Buffer, binary: boolean, except?: Member): void {
    this.writeToAll(bytes, binary, (socket) => {
      const member = this.connections.get(socket);
      if (
        member === undefined ||
        member === except ||
        member.nick === undefined ||
        socket.readyState !== ReadyState.OPEN
      )
        return false;
      if (socket.bufferedAmount <= this.maxBufferedBytes) return true;
      socket.terminate();
      return false;
    });
  }

  private sendToEach(bytes: Buffer, binary: boolean, filter: (socket: ChatSocket) => boolean): void {
    for (const socket of this.connections.keys()) {
      if (filter(socket)) socket.send(bytes, { binary });
    }
  }
}
