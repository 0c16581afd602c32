import { Buffer } from 'node:buffer';
import { Opcode, frameHeaderSize, writeFrameHeader } from '../protocol/index.js';
import { PacketType, decodePacket, encodePacket, type Packet } from '../protocol/engine-io/index.js';
import type { WebSocket } from '../ws/index.js';
import { TransportName } from './options.js';
import { Transport } from './transport.js';

/** Encodes a batch of packets as consecutive unmasked server frames (RFC 6455 §5.2) in one buffer. */
function encodeBatch(packets: readonly Packet[]): Buffer {
  const payloads: (string | Uint8Array)[] = [];
  const lengths: number[] = [];
  let size = 0;
  for (const packet of packets) {
    const payload = encodePacket(packet);
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    payloads.push(payload);
    lengths.push(length);
    size += frameHeaderSize(length, false) + length;
  }
  const batch = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i]!;
    const length = lengths[i]!;
    offset = writeFrameHeader(batch, offset, typeof payload === 'string' ? Opcode.Text : Opcode.Binary, length);
    if (typeof payload === 'string') batch.write(payload, offset, length, 'utf8');
    else batch.set(payload, offset);
    offset += length;
  }
  return batch;
}

/**
 * The WebSocket transport (Engine.IO protocol v4, "Transports › WebSocket"): each packet is one
 * frame, text packets as text frames, binary messages as binary frames with no prefix.
 */
export class WebSocketTransport extends Transport {
  readonly name = TransportName.WebSocket;
  private readonly afterWrite = (error?: Error | null): void => {
    if (error) {
      this.onError('write error', error);
      return;
    }
    if (this.state !== 'open') return;
    this.writable = true;
    this.emit('drain');
    this.emit('ready');
  };
  private readonly afterPartialWrite = (error?: Error | null): void => {
    if (error) this.onError('write error', error);
  };

  constructor(private readonly socket: WebSocket) {
    super();
    this.writable = true;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.state !== 'open') return;
      // Text frames arrive as UTF-8 the WebSocket layer has already validated (RFC 6455 §8.1).
      const result = decodePacket(isBinary ? data : data.toString('utf8'));
      if (!result.ok) this.emit('parseError', result.error);
      else if (result.value.type === PacketType.Close) this.close();
      else this.emit('packet', result.value);
    });
    socket.once('close', () => this.onClosed());
    // Errors are followed by 'close'; report them first so the session can tell why.
    socket.on('error', (error: Error) => this.onError('websocket error', error));
  }

  /**
   * Writes the batch. Without compression the frames are encoded together and written at once;
   * with permessage-deflate each packet goes through `send` so it can be compressed.
   */
  send(packets: Packet[], compress: boolean): void {
    if (packets.length === 0) return;
    this.writable = false;
    if (this.socket.extensions === '' && this.socket.sendFrame(encodeBatch(packets), this.afterWrite)) return;
    for (let i = 0; i < packets.length; i++) {
      const payload = encodePacket(packets[i]!);
      const last = i === packets.length - 1;
      this.socket.send(
        typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        { binary: typeof payload !== 'string', compress },
        last ? this.afterWrite : this.afterPartialWrite,
      );
    }
  }

  protected doClose(): void {
    // The closing handshake finishes on its own; the session does not wait for it.
    this.socket.close();
    this.onClosed();
  }
}
