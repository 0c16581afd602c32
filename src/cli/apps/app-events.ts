import type { DefaultEventsMap, Namespace, Server, Socket } from '../../server/index.js';
import { checkNickname, defaultChatLimits } from '../chat/chat-protocol.js';
import { TokenBucket } from '../chat/token-bucket.js';

/**
 * What every event a page sends to an app is answered with, through its acknowledgement: `ok`
 * with the result, or the reason it was refused. Bad input never throws: it becomes a refusal.
 */
export type Reply = { readonly ok: true } & Readonly<Record<string, unknown>>;

/** A refusal: the event had no effect. */
export interface Refusal {
  readonly ok: false;
  readonly error: string;
}

/** A refusal naming why. */
export function refuse(error: string): Refusal {
  return { ok: false, error };
}

/** Events one socket may send to an app in a burst, and per second after it. */
export const EVENT_BURST = 20;
export const EVENTS_PER_SECOND = 5;

/** Handles one event's payload (its first argument, unchecked) and says what to answer. */
export type EventHandler = (payload: unknown) => Reply | Refusal;

/**
 * Serves an app's events on one socket: each handler gets the event's payload and its answer goes
 * back through the acknowledgement when the page asked for one. Events past the socket's rate (a
 * burst of {@link EVENT_BURST}, then {@link EVENTS_PER_SECOND} a second) and events the app does
 * not know are refused without running anything, so a misbehaving page costs the server little.
 */
export function serveEvents(socket: Socket, handlers: Readonly<Record<string, EventHandler>>, now = Date.now): void {
  const bucket = new TokenBucket(EVENT_BURST, EVENTS_PER_SECOND, now);
  socket.onAny((event: string, ...args: unknown[]) => {
    const ack = args.at(-1);
    const answer = (reply: Reply | Refusal): void => {
      if (typeof ack === 'function') (ack as (reply: Reply | Refusal) => void)(reply);
    };
    // `onAny` sees every event, so the app's own are dispatched here rather than through `on`.
    const handler = Object.hasOwn(handlers, event) ? handlers[event] : undefined;
    if (handler === undefined) answer(refuse(`unknown event "${event}"`));
    else if (!bucket.take()) answer(refuse('too many events: slow down'));
    else answer(handler(typeof args[0] === 'function' ? undefined : args[0]));
  });
}

/** The name a page connects with (`io('/rooms', { auth: { name } })`), checked as the chat checks nicknames. */
function nameFromAuth(auth: unknown): { ok: true; name: string } | Refusal {
  const given = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).name : undefined;
  const checked = checkNickname(given, defaultChatLimits);
  return checked.ok ? { ok: true, name: checked.value } : refuse(checked.reason);
}

/** What an app keeps on each socket: the name it connected with, and fields the app sets later. */
export interface NamedData {
  name: string;
}

/**
 * An app's namespace, where every page connects with a name: one without a valid name is refused
 * (`connect_error` with the reason); the others start with `socket.data.name` set.
 */
export function namedNamespace<Data extends NamedData>(
  io: Server,
  path: string,
): Namespace<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, Data> {
  const nsp = io.of(path) as Namespace<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, Data>;
  nsp.use((socket, next) => {
    const named = nameFromAuth(socket.handshake.auth);
    if (!named.ok) {
      next(new Error(named.error));
      return;
    }
    // The name is all an app's data holds at first: the rest of it is optional, set as the page acts.
    socket.data = { name: named.name } as Data;
    next();
  });
  return nsp;
}

/** Whether `value` is a plain object, whose fields an event handler may then read. */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
