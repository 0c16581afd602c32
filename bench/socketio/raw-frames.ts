import { Opcode, clientFrameSize, writeClientFrame } from '../load/client-frames.js';

/**
 * The WebSocket URL path of an Engine.IO v4 session opened directly over WebSocket (Engine.IO
 * protocol v4, "Transports"), under the default Socket.IO path.
 */
export const ENGINE_WEBSOCKET_PATH = '/socket.io/?EIO=4&transport=websocket';

/** Packet type characters at the start of every text frame (Engine.IO v4, then Socket.IO v5). */
export const Char = {
  /** Engine.IO ping, answered by a pong. */
  Ping: 0x32,
  /** Engine.IO message: a Socket.IO packet follows. */
  Message: 0x34,
  /** Socket.IO CONNECT (after the Engine.IO message type). */
  Connect: 0x30,
  /** Socket.IO EVENT. */
  Event: 0x32,
  /** Socket.IO ACK. */
  Ack: 0x33,
  /** Socket.IO CONNECT_ERROR. */
  ConnectError: 0x34,
  Zero: 0x30,
  Nine: 0x39,
} as const;

/** One masked client text frame carrying `text`, ready to be written as is. */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const frame = Buffer.allocUnsafe(clientFrameSize(payload.length));
  writeClientFrame(frame, 0, Opcode.Text, payload);
  return frame;
}

/** The Socket.IO CONNECT packet for the main namespace, without auth: `40`. */
export const CONNECT_FRAME = textFrame('40');

/** The Engine.IO pong that answers a server ping: `3`. */
export const PONG_FRAME = textFrame('3');

/**
 * A Socket.IO EVENT packet inside an Engine.IO message, as a masked text frame:
 * `42` + optional ack id + `["event", data]`.
 */
export function eventFrame(event: string, data: unknown, ackId?: number): Buffer {
  return textFrame(`42${ackId ?? ''}${JSON.stringify([event, data])}`);
}

/**
 * The ack id of an ACK packet from its first bytes (`43` + digits + `[`), or -1 when the bytes are
 * not an ACK for the main namespace.
 */
export function ackIdOf(prefix: Uint8Array): number {
  if (prefix[0] !== Char.Message || prefix[1] !== Char.Ack) return -1;
  let id = 0;
  let digits = 0;
  for (let i = 2; i < prefix.length; i++) {
    const c = prefix[i]!;
    if (c < Char.Zero || c > Char.Nine) break;
    id = id * 10 + (c - Char.Zero);
    digits++;
  }
  return digits === 0 ? -1 : id;
}

/** Whether a packet's first bytes are a Socket.IO EVENT for the main namespace (`42`). */
export function isEvent(prefix: Uint8Array): boolean {
  return prefix[0] === Char.Message && prefix[1] === Char.Event;
}
