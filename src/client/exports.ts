/** What both entry points of `switchboard/client` export besides their own `io` and `Manager`. */
export { Socket } from './socket.js';
export type { DisconnectDescription, DisconnectReason, ExtendedError, SocketReservedEvents } from './socket.js';
export type { ManagerReservedEvents } from './manager.js';
export type { LookupOptions } from './lookup.js';
export type { AuthOption, ManagerOptions, OfflineBufferOptions, SocketOptions } from './options.js';
export type {
  AllButLast,
  AnyListener,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  FirstArg,
  Last,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from './typed-events.js';
/** The Socket.IO protocol version the client speaks. */
export const protocol = 5;
