/**
 * A raw WebSocket client for the soak run: the handshake written by hand, server frames read by
 * walking their headers, heartbeats answered (WebSocket pings with pongs, RFC 6455 §5.5.2; and,
 * for an Engine.IO session, `2` with `3`), the server's close code kept. Attacks write whatever
 * bytes they like on its socket.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { clientFrameSize, writeClientFrame } from '../load/client-frames.js';
import { openWebSocket } from '../load/connect.js';

/** Opcodes of RFC 6455 §5.2. */
export const Opcode = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;

/** RFC 7692 §6: RSV1 marks a compressed message. */
export const RSV1 = 0x40;

/** A masked client frame of `opcode` carrying `payload`; `fin: false` for all but the last fragment. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; rsv?: number } = {},
): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const frame = Buffer.allocUnsafe(clientFrameSize(bytes.length));
  writeClientFrame(frame, 0, opcode, bytes, options.rsv ?? 0);
  if (options.fin === false) frame[0]! &= 0x7f;
  return frame;
}

const ENGINE_PONG = clientFrame(Opcode.Text, '3');
const HEADER_MAX = 14;

/** Where a peer connects. */
export interface PeerOptions {
  readonly port: number;
  readonly path: string;
  readonly localAddress?: string | undefined;
  /** A `Sec-WebSocket-Extensions` offer. */
  readonly extensions?: string | undefined;
  /** Answer Engine.IO pings (`2`) with pongs (`3`). */
  readonly engine: boolean;
  readonly timeoutMs: number;
}

/** A connected raw client; see the module comment. */
export class SoakPeer {
  /** The code of the server's close frame, once one arrived (1005 when it carried none). */
  closeCode: number | undefined;
  /** Data frames read before anyone listened (those that came with the handshake response). */
  private early: [number, Buffer][] | undefined = [];
  private listener: (opcode: number, payload: Buffer) => void = () => undefined;
  /** Resolves when TCP has closed. */
  readonly closed: Promise<void>;
  private pending: Buffer = Buffer.alloc(0);

  private constructor(
    readonly socket: Socket,
    /** The extensions the server accepted. */
    readonly extensions: string,
    private readonly engine: boolean,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  /** Connects and completes the handshake; rejects with the refusal (e.g. `handshake refused: HTTP/1.1 503`). */
  static async open(options: PeerOptions): Promise<SoakPeer> {
    const { socket, head, extensions } = await openWebSocket(options);
    const peer = new SoakPeer(socket, extensions, options.engine);
    if (head.length > 0) peer.read(head);
    return peer;
  }

  /** Called with each data frame's opcode and payload; the first one set also gets the frames that came before it. */
  set onData(listener: (opcode: number, payload: Buffer) => void) {
    this.listener = listener;
    const early = this.early;
    this.early = undefined;
    for (const [opcode, payload] of early ?? []) listener(opcode, payload);
  }

  /** Whether TCP is still open. */
  get open(): boolean {
    return !this.socket.destroyed;
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends one Engine.IO packet (a text frame). */
  sendText(text: string): void {
    this.write(clientFrame(Opcode.Text, text));
  }

  /** Stops reading: what the server sends stays in its buffers once the kernel's are full. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Drops the connection with a reset, leaving nothing in TIME_WAIT. */
  destroy(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private read(chunk: Buffer): void {
    let bytes: Buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (bytes.length < 2) break;
      const short = bytes[1]! & 0x7f;
      const headerSize = short === 126 ? 4 : short === 127 ? 10 : 2;
      if (bytes.length < headerSize) break;
      const length = short === 126 ? bytes.readUInt16BE(2) : short === 127 ? Number(bytes.readBigUInt64BE(2)) : short;
      if (bytes.length < headerSize + length) break;
      this.frame(bytes[0]! & 0x0f, bytes.subarray(headerSize, headerSize + length));
      bytes = bytes.subarray(headerSize + length);
    }
    // Only an unfinished frame is kept: at most a header, or a message still arriving.
    this.pending = bytes.length === 0 ? Buffer.alloc(0) : bytes.length <= HEADER_MAX ? Buffer.from(bytes) : bytes;
  }

  private frame(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) this.write(clientFrame(Opcode.Pong, payload));
    else if (opcode === Opcode.Close) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.write(clientFrame(Opcode.Close, payload.subarray(0, 2)));
    } else if (opcode !== Opcode.Pong) {
      if (this.engine && payload.length === 1 && payload[0] === 0x32) this.write(ENGINE_PONG);
      else if (this.early !== undefined) this.early.push([opcode, Buffer.from(payload)]);
      else this.listener(opcode, payload);
    }
  }
}
