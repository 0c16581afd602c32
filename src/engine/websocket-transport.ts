import { Buffer } from 'node:buffer';
import { Opcode, frameHeaderSize, writeFrameHeader } from '../protocol/index.js';
import {
  PacketType,
  decodePacket,
  encodePacket,
  type EngineIOParseError,
  type Packet,
} from '../protocol/engine-io/index.js';
import type { WebSocket } from '../ws/index.js';
import { TransportName } from './options.js';
import type { PreparedMessage } from './prepared-message.js';
import { Transport, type WrittenCallback } from './transport.js';

/** Encodes one packet as an unmasked server frame (RFC 6455 §5.2). */
export function encodeFrame(packet: Packet): Buffer {
  const payload = encodePacket(packet);
  const text = typeof payload === 'string';
  const length = text ? Buffer.byteLength(payload) : payload.length;
  const frame = Buffer.allocUnsafe(frameHeaderSize(length, false) + length);
  const offset = writeFrameHeader(frame, 0, text ? Opcode.Text : Opcode.Binary, length);
  if (text) frame.write(payload, offset, length, 'utf8');
  else frame.set(payload, offset);
  return frame;
}

/** Encodes packets as consecutive unmasked server frames (RFC 6455 §5.2) in one buffer. */
export function encodeFrames(packets: readonly Packet[]): Buffer {
  if (packets.length === 1) return encodeFrame(packets[0]!);
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
  const frames = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i]!;
    const length = lengths[i]!;
    offset = writeFrameHeader(frames, offset, typeof payload === 'string' ? Opcode.Text : Opcode.Binary, length);
    if (typeof payload === 'string') frames.write(payload, offset, length, 'utf8');
    else frames.set(payload, offset);
    offset += length;
  }
  return frames;
}

/*
 * The WebSocket's events reach their transport through one set of module-level listeners (the
 * emitter calls them with the WebSocket as `this`) instead of three closures per connection.
 */
const transports = new WeakMap<WebSocket, WebSocketTransport>();

function onSocketMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  // Text frames arrive as UTF-8 the WebSocket layer has already validated (RFC 6455 §8.1).
  transports.get(this)?.receive(isBinary ? data : data.toString('utf8'));
}

function onSocketClose(this: WebSocket): void {
  transports.get(this)?.socketClosed();
}

function onSocketError(this: WebSocket, error: Error): void {
  transports.get(this)?.socketFailed(error);
}

/** Runs `written` only for a write that succeeded: a failed one closes the transport instead. */
function onlyOnSuccess(written: WrittenCallback | undefined): ((error?: Error | null) => void) | undefined {
  return written === undefined ? undefined : (error) => (error ? undefined : written());
}

/**
 * What the WebSocket transports share (Engine.IO protocol v4, "Transports › WebSocket"): each
 * packet is one message, text packets as text, binary messages as bytes with no prefix, written as
 * they come. {@link WebSocketTransport} runs it on a WebSocket of this node; a WebSocket relayed
 * from another node runs it over a session relay's stream.
 */
export abstract class MessageTransport extends Transport {
  readonly name = TransportName.WebSocket;
  readonly immediate = true;

  /** @internal A message from the client: a text frame's string, or a binary frame's bytes. */
  receive(message: string | Uint8Array): void {
    if (this.state !== 'open') return;
    let packet: Packet;
    try {
      packet = decodePacket(message);
    } catch (error) {
      // The decoder throws nothing but EngineIOParseError.
      this.listener?.onTransportParseError(error as EngineIOParseError);
      return;
    }
    if (packet.type === PacketType.Close) this.close();
    else this.listener?.onTransportPacket(packet);
  }
}

/**
 * The WebSocket transport on a WebSocket of this node: each packet is one frame. Packets are
 * written as they come; the WebSocket gathers the frames of one tick into one system call.
 */
export class WebSocketTransport extends MessageTransport {
  constructor(private readonly socket: WebSocket) {
    super();
    this.writable = true;
    transports.set(socket, this);
    socket.on('message', onSocketMessage);
    // Errors are followed by 'close'; they come first so the session can tell why.
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  override get congested(): boolean {
    return this.socket.congested;
  }

  /**
   * Writes the packets. Without compression their frames are encoded together into one buffer;
   * with permessage-deflate each packet goes through `send` so it can be compressed. Either way
   * the WebSocket sends them with the rest of the tick's frames.
   */
  override send(packets: Packet[], compress: boolean, written?: WrittenCallback): void {
    if (packets.length === 0) {
      written?.();
      return;
    }
    if (this.socket.extensions === '' && this.socket.sendFrame(encodeFrames(packets), onlyOnSuccess(written))) return;
    for (let i = 0; i < packets.length; i++)
      this.sendCompressible(packets[i]!, compress, i === packets.length - 1 ? written : undefined);
  }

  /** Writes a message encoded once for many sessions: the same frame bytes go to every socket. */
  override sendPrepared(message: PreparedMessage, written?: WrittenCallback): void {
    if (this.socket.extensions === '' && this.socket.sendFrame(message.webSocketFrame(), onlyOnSuccess(written)))
      return;
    this.sendCompressible(message.packet, message.compress, written);
  }

  /** @internal The WebSocket closed. */
  socketClosed(): void {
    transports.delete(this.socket);
    this.onClosed();
  }

  /** @internal The WebSocket failed; its close follows. */
  socketFailed(error: Error): void {
    this.onError('websocket error', error);
  }

  private sendCompressible(packet: Packet, compress: boolean, written: WrittenCallback | undefined): void {
    const payload = encodePacket(packet);
    this.socket.send(
      typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      { binary: typeof payload !== 'string', compress },
      onlyOnSuccess(written),
    );
  }

  protected doClose(): void {
    // The closing handshake finishes on its own; the session does not wait for it.
    this.socket.close();
    this.onClosed();
  }
}
