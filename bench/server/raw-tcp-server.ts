import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { BROADCAST_PATH, type StartBenchServer } from './bench-server.js';

/**
 * The ceiling: the least work a Node server can do and still hold a WebSocket conversation with the
 * load generator. It answers the handshake (RFC 6455 §4.2.2), then turns each client frame into
 * the matching server frame in the read buffer itself: the header is rewritten without its masking
 * key, the payload unmasked in place and slid over the 4 freed bytes, and the whole chunk goes back
 * in one write. Payloads are never reassembled, validated or copied into new buffers, and nothing
 * is allocated per frame. It checks none of the things a real server must (UTF-8, limits, masking,
 * fragmentation rules), so no Node implementation can beat it; it shows how close one gets.
 */
export const startRawTcpServer: StartBenchServer = () =>
  new Promise((resolve, reject) => {
    const open = new Set<RawConnection>();
    const broadcastGroup = new Set<RawConnection>();
    const server = createServer({ noDelay: true }, (socket) => {
      socket.on('error', () => {});
      new RawConnection(socket, open, broadcastGroup);
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('expected a TCP address'));
      resolve({
        port: address.port,
        connections: () => open.size,
        details: `node:net, unmasking with bufferutil ${nativeUnmask ? '(native)' : 'missing: JavaScript loop'}`,
        close: () =>
          new Promise((done) => {
            for (const connection of open) connection.destroy();
            server.close(() => done());
          }),
      });
    });
  });

interface BufferUtil {
  unmask(buffer: Buffer, mask: Buffer): void;
}

const require = createRequire(import.meta.url);
const nativeUnmask = loadBufferUtil();

function loadBufferUtil(): BufferUtil | undefined {
  try {
    return require('bufferutil') as BufferUtil;
  } catch {
    return undefined;
  }
}

/** Below this the native call costs more than the JavaScript loop (the same cut-off ws uses). */
const NATIVE_UNMASK_MIN = 32;

const HEAD_END = Buffer.from('\r\n\r\n');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;

const HANDSHAKE = 0;
const HEADER = 1;
const PAYLOAD = 2;
const CLOSED = 3;

class RawConnection {
  private state = HANDSHAKE;
  private head: Buffer | undefined;
  private broadcaster = false;

  // Echo: the frame being streamed through.
  private readonly header = Buffer.alloc(14);
  private headerFill = 0;
  private masked = false;
  private readonly key = Buffer.alloc(4);
  private readonly rotatedKey = Buffer.alloc(4);
  private phase = 0;
  private remaining = 0;
  private closing = false;

  // Broadcast: bytes of an incomplete frame.
  private pending: Buffer | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly open: Set<RawConnection>,
    private readonly broadcastGroup: Set<RawConnection>,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.state = CLOSED;
      open.delete(this);
      broadcastGroup.delete(this);
    });
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state === HANDSHAKE) {
      const rest = this.handshake(chunk);
      if (rest === undefined || rest.length === 0) return;
      chunk = rest;
    }
    if (this.state === CLOSED) return;
    if (this.broadcaster) this.broadcastFrames(chunk);
    else this.echo(chunk);
  }

  /** Returns the bytes after the request head once it is complete and answered. */
  private handshake(chunk: Buffer): Buffer | undefined {
    const received = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
    const end = received.indexOf(HEAD_END);
    if (end === -1) {
      this.head = received;
      if (received.length > 8192) this.refuse('431 Request Header Fields Too Large');
      return undefined;
    }
    this.head = undefined;
    const text = received.toString('latin1', 0, end);
    const key = /\r\nsec-websocket-key:[ \t]*([A-Za-z0-9+/=]{24})[ \t]*(?:\r|$)/i.exec(text)?.[1];
    const path = /^GET (\S+) HTTP\/1\.1/.exec(text)?.[1];
    if (key === undefined || path === undefined) {
      this.refuse('400 Bad Request');
      return undefined;
    }
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    this.socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    this.state = HEADER;
    this.open.add(this);
    if (path === BROADCAST_PATH) {
      this.broadcaster = true;
      this.broadcastGroup.add(this);
    }
    return received.subarray(end + 4);
  }

  private refuse(status: string): void {
    this.state = CLOSED;
    this.socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  /**
   * Rewrites the frames of `chunk` into server frames inside `chunk`, compacting them to its start
   * (`w` never passes `r`, since a server header is 4 bytes shorter than the client's), then writes
   * the result at once. Frames cut across chunks are streamed piece by piece.
   */
  private echo(chunk: Buffer): void {
    const end = chunk.length;
    let r = 0;
    let w = 0;
    while (r < end && this.state !== CLOSED) {
      if (this.state === HEADER) {
        let source: Buffer;
        let at: number;
        let size: number;
        if (this.headerFill === 0 && end - r >= 2 && end - r >= (size = headerSize(chunk[r + 1]!))) {
          source = chunk;
          at = r;
          r += size;
        } else {
          while (this.headerFill < 2 && r < end) this.header[this.headerFill++] = chunk[r++]!;
          if (this.headerFill < 2) break;
          size = headerSize(this.header[1]!);
          while (this.headerFill < size && r < end) this.header[this.headerFill++] = chunk[r++]!;
          if (this.headerFill < size) break;
          this.headerFill = 0;
          source = this.header;
          at = 0;
        }
        const masked = (source[at + 1]! & 0x80) !== 0;
        const serverSize = masked ? size - 4 : size;
        const length = payloadLength(source, at);
        if (masked) source.copy(this.key, 0, at + serverSize, at + size);
        this.masked = masked;
        const opcode = source[at]! & 0x0f;
        if (opcode === OPCODE_CLOSE) this.closing = true;
        // RFC 6455 §5.5.3: a ping is answered by a pong with the same payload.
        const first = opcode === OPCODE_PING ? (source[at]! & 0xf0) | OPCODE_PONG : source[at]!;
        const second = source[at + 1]! & 0x7f;
        if (w + serverSize > r) {
          // Only when a header straddled chunks (so w is 0): send the header on its own.
          const own = Buffer.allocUnsafe(serverSize);
          source.copy(own, 0, at, at + serverSize);
          own[0] = first;
          own[1] = second;
          this.socket.write(own);
        } else {
          if (source !== chunk || at !== w) source.copy(chunk, w, at, at + serverSize);
          chunk[w] = first;
          chunk[w + 1] = second;
          w += serverSize;
        }
        this.phase = 0;
        this.remaining = length;
        if (length > 0) this.state = PAYLOAD;
        else if (this.closing) return this.finishClose(chunk, w);
      } else {
        const n = this.remaining < end - r ? this.remaining : end - r;
        if (this.masked) this.unmask(chunk, r, n);
        if (w !== r) chunk.copyWithin(w, r, r + n);
        r += n;
        w += n;
        this.remaining -= n;
        this.phase = (this.phase + n) & 3;
        if (this.remaining === 0) {
          this.state = HEADER;
          if (this.closing) return this.finishClose(chunk, w);
        }
      }
    }
    if (w > 0) this.socket.write(w === end ? chunk : chunk.subarray(0, w));
  }

  /** The echoed close frame is the close reply (RFC 6455 §5.5.1); then the server ends TCP. */
  private finishClose(chunk: Buffer, w: number): void {
    this.state = CLOSED;
    this.socket.end(chunk.subarray(0, w));
  }

  private unmask(chunk: Buffer, at: number, n: number): void {
    const key = this.key;
    const phase = this.phase;
    if (nativeUnmask !== undefined && n >= NATIVE_UNMASK_MIN) {
      const rotated = this.rotatedKey;
      for (let i = 0; i < 4; i++) rotated[i] = key[(phase + i) & 3]!;
      nativeUnmask.unmask(chunk.subarray(at, at + n), rotated);
      return;
    }
    for (let i = 0; i < n; i++) chunk[at + i]! ^= key[(phase + i) & 3]!;
  }

  /** Broadcast: each whole client frame becomes one server frame, encoded once, written to all. */
  private broadcastFrames(chunk: Buffer): void {
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let r = 0;
    while (data.length - r >= 2) {
      const size = headerSize(data[r + 1]!);
      if (data.length - r < size) break;
      const length = payloadLength(data, r);
      if (data.length - r < size + length) break;
      const masked = (data[r + 1]! & 0x80) !== 0;
      const serverSize = masked ? size - 4 : size;
      const frame = Buffer.allocUnsafe(serverSize + length);
      data.copy(frame, 0, r, r + serverSize);
      frame[1] = frame[1]! & 0x7f;
      data.copy(frame, serverSize, r + size, r + size + length);
      if (masked) {
        const key = data.subarray(r + serverSize, r + size);
        for (let i = 0; i < length; i++) frame[serverSize + i]! ^= key[i & 3]!;
      }
      r += size + length;
      const opcode = frame[0]! & 0x0f;
      if (opcode === OPCODE_CLOSE) {
        this.state = CLOSED;
        this.socket.end(frame);
        return;
      }
      for (const peer of this.broadcastGroup) peer.socket.write(frame);
    }
    if (r < data.length) this.pending = Buffer.from(data.subarray(r));
  }
}

function headerSize(second: number): number {
  const length = second & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
}

function payloadLength(bytes: Buffer, at: number): number {
  const length = bytes[at + 1]! & 0x7f;
  if (length === 126) return bytes.readUInt16BE(at + 2);
  if (length === 127) return bytes.readUInt32BE(at + 2) * 0x100000000 + bytes.readUInt32BE(at + 6);
  return length;
}
