/**
 * The argument of every `echo` and `ack` event: a chat-sized object, so both servers parse and
 * serialise JSON as an application's traffic would make them (about 100 bytes encoded).
 */
export const CHAT_MESSAGE = {
  room: 'lobby',
  user: 'user-0042',
  text: 'Hello everyone, the build is green again.',
  sentAt: 1_763_769_600_000,
} as const;
