import { Buffer } from 'node:buffer';
import { PacketType, type MessagePacket, type Packet } from '../protocol/engine-io/index.js';
import { encodeFrame } from './websocket-transport.js';

/**
 * The bytes of a packet's data that a session holds while the packet waits for its transport:
 * text by its UTF-8 length, binary by its length.
 */
export function packetDataSize(packet: Packet): number {
  const data = packet.data;
  return data === undefined ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

/**
 * A message encoded once for many sessions, as a broadcast sends it: every WebSocket session
 * without compression writes the same frame bytes, built on first use; the others send it as an
 * ordinary message, measured once for all of them (see `connectionLimits`).
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
  private size = -1;

  constructor(data: string | Buffer, options: { compress?: boolean } = {}) {
    this.packet = { type: PacketType.Message, data };
    this.compress = options.compress ?? true;
  }

  /**
   * @internal What the message's data weighs in a session's buffer ({@link packetDataSize}),
   * measured by the first recipient that buffers it: a broadcast to many polling sessions
   * measures a string once.
   */
  get dataSize(): number {
    if (this.size < 0) this.size = packetDataSize(this.packet);
    return this.size;
  }

  /** @internal The message as one unmasked WebSocket frame (RFC 6455 §5.2). */
  webSocketFrame(): Buffer {
    return (this.frame ??= encodeFrame(this.packet));
  }
}
