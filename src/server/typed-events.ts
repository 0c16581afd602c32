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
export interface EventsMap {
  // `any`, so that every function type, whatever its parameters, can be a member.
  [event: string]: any;
}

/** The map used when an application declares none: any event, with any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

/** The event names of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & string;

/** The arguments of event `Ev`, acknowledgement callback included when the event takes one. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

type AnyFunction = (...args: any[]) => any;
type IsAny<T> = 0 extends 1 & T ? true : false;
/** The last element of an argument list; `any` when the list has no fixed shape. */
type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : any;
/** An argument list without its last element (the acknowledgement callback). */
export type AllButLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : any[];

/** The event names of a map whose last argument is an acknowledgement callback. */
export type EventNamesWithAck<Map extends EventsMap> = {
  [Ev in EventNames<Map>]: IsAny<Last<EventParams<Map, Ev>>> extends true
    ? Ev
    : Last<EventParams<Map, Ev>> extends AnyFunction
      ? Ev
      : never;
}[EventNames<Map>];

/**
 * What `emitWithAck` resolves with, from the acknowledgement callback's signature: its first
 * argument, or its second when the first is the error of a timed acknowledgement.
 */
export type AckResponse<Ack> =
  IsAny<Ack> extends true
    ? any
    : Ack extends (...args: infer Args) => unknown
      ? Args extends [infer First, ...infer Rest]
        ? [First] extends [Error | null]
          ? Rest extends [infer Response, ...unknown[]]
            ? Response
            : undefined
          : First
        : undefined
      : never;

/** The acknowledgement callback made error-first, as `timeout()` calls it. */
type ErrorFirstAck<Params extends unknown[]> = Params extends [...infer Head, infer Ack]
  ? Ack extends (...args: infer AckArgs) => infer Result
    ? [...Head, (err: Error | null, ...args: AckArgs) => Result]
    : Params
  : Params;

/** The acknowledgement callback of a broadcast: an error, then the responses of every recipient. */
type ManyResponsesAck<Params extends unknown[]> = Params extends [...infer Head, infer Ack]
  ? Ack extends (...args: infer AckArgs) => infer Result
    ? [...Head, (err: Error | null, responses: AckArgs[0][]) => Result]
    : Params
  : Params;

/** A map whose acknowledgement callbacks take an error first (after `timeout()`, and for a `RemoteSocket`). */
export type DecorateAcknowledgements<Map extends EventsMap> = {
  [Ev in keyof Map]: Map[Ev] extends (...args: infer Params) => infer Result ? (...args: ErrorFirstAck<Params>) => Result : Map[Ev];
};

/** A map whose acknowledgement callbacks collect every recipient's response (broadcasts). */
export type DecorateAcknowledgementsWithMultipleResponses<Map extends EventsMap> = {
  [Ev in keyof Map]: Map[Ev] extends (...args: infer Params) => infer Result ? (...args: ManyResponsesAck<Params>) => Result : Map[Ev];
};

/** The events an emitter raises itself, with the user's events beside them. */
export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> = EventNames<Reserved> | EventNames<User>;

/** The listener of event `Ev`: a reserved event's own signature, or the user's. */
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev extends string> = Ev extends EventNames<Reserved>
  ? Reserved[Ev]
  : Ev extends EventNames<User>
    ? User[Ev]
    : never;

/** What `emitWithAck(Ev, ...)` resolves with, for a map whose event `Ev` takes an acknowledgement. */
export type EmitWithAckResult<Map extends EventsMap, Ev extends EventNames<Map>> = AckResponse<Last<EventParams<Map, Ev>>>;
