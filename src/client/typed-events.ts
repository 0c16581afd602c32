/* eslint-disable @typescript-eslint/no-explicit-any -- event maps and free-form listeners are `any`, as in socket.io-client's typings, so that applications typed against those compile unchanged. */
/**
 * The client's event typing: an application declares its events once, as maps from event name
 * to listener signature, and every `emit`, `on` and acknowledgement is checked against them:
 *
 * ```ts
 * interface ServerToClient { chat: (from: string, text: string) => void }
 * interface ClientToServer { chat: (text: string, ack: (delivered: boolean) => void) => void }
 * const socket: Socket<ServerToClient, ClientToServer> = io('https://example.com');
 * ```
 *
 * Without maps every event name and argument is accepted. The shapes are socket.io-client's.
 */

/** A map from event name to the signature of its listener. */
// eslint-disable-next-line @typescript-eslint/consistent-indexed-object-style -- an interface, as the official typings.
export interface EventsMap {
  [event: string]: any;
}

/** The map used when an application declares none: any event, with any arguments. */
// eslint-disable-next-line @typescript-eslint/consistent-indexed-object-style -- an interface, as the official typings.
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

/** A listener that takes whatever arguments an event carries (`onAny`, `onAnyOutgoing`). */
export type AnyListener = (...args: any[]) => void;

/** The event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/** The arguments of event `Ev`, acknowledgement callback included when the event takes one. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** The events an emitter raises itself, beside the application's. */
export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> =
  EventNames<Reserved> | EventNames<User>;

/** An event the maps do not name still takes a listener, of any arguments (as the official typings). */
type FallbackToUntypedListener<T> = [T] extends [never] ? (...args: any[]) => void | Promise<void> : T;

/** The listener of event `Ev`: a reserved event's own signature, or the application's. */
export type ReservedOrUserListener<
  Reserved extends EventsMap,
  User extends EventsMap,
  Ev extends ReservedOrUserEventNames<Reserved, User>,
> = FallbackToUntypedListener<
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never
>;

/** Each function in a list of arguments, taking the timeout error first. */
type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result ? (err: Error, ...args: Params) => Result : T[K];
};

/** A map whose acknowledgement callbacks take an error first: what `socket.timeout(ms)` emits with. */
export type DecorateAcknowledgements<Map> = {
  [K in keyof Map]: Map[K] extends (...args: infer Params) => infer Result
    ? (...args: PrependTimeoutError<Params>) => Result
    : Map[K];
};

/** The last element of a list (the acknowledgement callback of an event's arguments). */
export type Last<T extends any[]> = T extends [...infer _Head, infer L] ? L : any;

/** A list without its last element. */
export type AllButLast<T extends any[]> = T extends [...infer Head, infer _L] ? Head : any[];

/** The first parameter of a function: what an acknowledgement answers. */
export type FirstArg<T> = T extends (arg: infer Param) => infer _Result ? Param : any;
