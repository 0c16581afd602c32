/**
 * Types that let an application declare its events once, as maps from event name to listener
 * signature, and have every `emit`, `on` and acknowledgement checked against them:
 *
 * ```ts
 * interface ClientToServer { chat: (text: string, ack: (ok: boolean) => void) => void }
 * interface ServerToClient { chat: (from: string, text: string) => void }
 * const io = new Server<ClientToServer, ServerToClient>(httpServer);
 * ```
 *
 * Without maps every event name and argument is accepted, as in plain JavaScript. These types
 * follow the shapes of the official server's, so typed applications move over unchanged.
 */

/** A map from event name to the signature of its listener. */
// eslint-disable-next-line @typescript-eslint/consistent-indexed-object-style -- an interface, as the official typings.
export interface EventsMap {
  // `any`, so that every function type, whatever its parameters, can be a member.
  [event: string]: any;
}

/** The map used when an application declares none: any event, with any arguments. */
// eslint-disable-next-line @typescript-eslint/consistent-indexed-object-style -- an interface, as the official typings.
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

/** The event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/** The arguments of event `Ev`, acknowledgement callback included when the event takes one. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

type AnyFunction = (...args: any[]) => any;
type IsAny<T> = 0 extends 1 & T ? true : false;
/**
 * The last argument of a list: `never` for an empty list or one of optional or rest arguments
 * only (no acknowledgement there), `any` for the free-form lists of {@link DefaultEventsMap}.
 */
type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : IsAny<T[number]> extends true ? any : never;
/** An argument list without its last element (the acknowledgement callback). */
export type AllButLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : any[];

/** Whether the last of some arguments is an acknowledgement callback (or may be one). */
type EndsWithAck<Params extends unknown[]> =
  IsAny<Last<Params>> extends true
    ? true
    : [Last<Params>] extends [never]
      ? false
      : Last<Params> extends AnyFunction
        ? true
        : false;

/** The event names of a map whose last argument is an acknowledgement callback. */
export type EventNamesWithAck<Map extends EventsMap> = {
  [Ev in EventNames<Map>]: EndsWithAck<EventParams<Map, Ev>> extends true ? Ev : never;
}[EventNames<Map>];

/**
 * Whether an acknowledgement's arguments start with the error that `timeout()` and broadcasts
 * add. As in the official types the error is typed `Error` (it is `null` on success), which also
 * keeps a callback shaped twice (`socket.timeout(ms).broadcast`) from getting two errors.
 */
type IsErrorFirst<AckArgs extends unknown[]> = AckArgs extends [infer First, ...unknown[]]
  ? IsAny<First> extends true
    ? false
    : [First] extends [Error]
      ? true
      : false
  : false;

/** The response an acknowledgement carries: its first argument, after the error when it has one. */
type ResponseOf<AckArgs extends unknown[]> = IsErrorFirst<AckArgs> extends true ? AckArgs[1] : AckArgs[0];

/** What `emitWithAck` resolves with, from the acknowledgement callback's signature. */
export type AckResponse<Ack> =
  IsAny<Ack> extends true ? any : Ack extends (...args: infer AckArgs) => unknown ? ResponseOf<AckArgs> : never;

/** How an emitter calls acknowledgements: a socket after `timeout()`, a `RemoteSocket`, a broadcast. */
type AckShape = 'error-first' | 'single-response' | 'many-responses';

/** An acknowledgement callback as an emitter of `Shape` calls it. */
type ShapedAck<AckArgs extends unknown[], Result, Shape extends AckShape> = Shape extends 'error-first'
  ? IsErrorFirst<AckArgs> extends true
    ? (...args: AckArgs) => Result
    : (err: Error, ...args: AckArgs) => Result
  : Shape extends 'single-response'
    ? (err: Error, response: ResponseOf<AckArgs>) => Result
    : (err: Error, responses: ResponseOf<AckArgs>[]) => Result;

/** An argument list whose acknowledgement callback (its last argument, if a function) is shaped. */
type ShapeAckArgument<Params extends unknown[], Shape extends AckShape> = Params extends [...infer Head, infer Ack]
  ? Ack extends (...args: infer AckArgs) => infer Result
    ? [...Head, ShapedAck<AckArgs, Result, Shape>]
    : Params
  : Params;

/** A map whose acknowledgement callbacks are called as an emitter of `Shape` calls them. */
type ShapeAcknowledgements<Map extends EventsMap, Shape extends AckShape> = {
  [Ev in keyof Map]: Map[Ev] extends (...args: infer Params) => infer Result
    ? (...args: ShapeAckArgument<Params, Shape>) => Result
    : Map[Ev];
};

/** A map whose acknowledgement callbacks take an error first (a socket after `timeout()`). */
export type DecorateAcknowledgements<Map extends EventsMap> = ShapeAcknowledgements<Map, 'error-first'>;

/** A map whose acknowledgement callbacks take an error, then the one response (a `RemoteSocket`). */
export type DecorateAcknowledgementsWithSingleResponse<Map extends EventsMap> = ShapeAcknowledgements<
  Map,
  'single-response'
>;

/** A map whose acknowledgement callbacks take an error, then every recipient's response (broadcasts). */
export type DecorateAcknowledgementsWithMultipleResponses<Map extends EventsMap> = ShapeAcknowledgements<
  Map,
  'many-responses'
>;

/** The events an emitter raises itself, with the user's events beside them. */
export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> =
  EventNames<Reserved> | EventNames<User>;

/** The listener of event `Ev`: a reserved event's own signature, or the user's. */
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev extends string> =
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never;

/** What `emitWithAck(Ev, ...)` resolves with, for a map whose event `Ev` takes an acknowledgement. */
export type EmitWithAckResult<Map extends EventsMap, Ev extends EventNames<Map>> = AckResponse<
  Last<EventParams<Map, Ev>>
>;
