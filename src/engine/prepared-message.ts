import type { Buffer } from 'node:buffer';
import { PacketType, type MessagePacket } from '../protocol/engine-io/index.js';
import { encodeFrame } from './websocket-transport.js';

/**
 * A message encoded once for many sessions, as a broadcast sends it: every WebSocket session
 * without compression writes the same frame bytes, built on first use; the others send it as an
 * ordinary message.
 *
 * @example
 * const message = new PreparedMessage('hello everyone');
 * for (const socket of engine.clients.values()) socket.sendPrepared(message);
 */
export class PreparedMessage {
  /** The message packet every session sends. */
  readonly packet: MessagePacket;
  /** Whether permessage-deflate may compress it on sessions that negotiated it. */
  readonly compress: boolean;
  private frame: Buffer | undefined;

  constructor(data: string | Buffer, options: { compress?: boolean } = {}) {
    this.packet = { type: PacketType.Message, data };
    this.compress = options.compress ?? true;
  }

  /** @internal The message as one unmasked WebSocket frame (RFC 6455 §5.2). */
  webSocketFrame(): Buffer {
    return (this.frame ??= encodeFrame(this.packet));
  }
}
