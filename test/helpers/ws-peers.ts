/**
 * Servers and raw clients for binding tests: a `WebSocketServer` on an ephemeral loopback port, and
 * a hand-made client that performs the opening handshake over plain `net` and then reads raw frames,
 * so tests can send what no well-behaved client would.
 */
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { computeAcceptKey } from '../../src/protocol/index.js';
import { WebSocketServer, type WebSocketServerOptions } from '../../src/ws/index.js';
import { clientFrame, closePayload } from './frames.js';
import { until, waitFor, withTimeout } from './wait.js';

/** A started server and its `ws://` URL. */
export interface TestServer {
  readonly wss: WebSocketServer;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a `WebSocketServer` on 127.0.0.1 and an ephemeral port. */
export async function startServer(
  options: Omit<WebSocketServerOptions, 'port' | 'server' | 'noServer'> = {},
): Promise<TestServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await waitFor(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return {
    wss,
    port,
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}

/** A hand-made server for a client under test: its URL, and `close()` to drop it with every connection. */
export interface FakeServer {
  readonly url: string;
  close(): void;
}

/**
 * A TCP server answering every upgrade request itself, for handshakes and frames no real server
 * would send: once a request has arrived, what `respond` answers for its `Sec-WebSocket-Key` is
 * written (nothing for `undefined`); `respond` may also listen on the socket for what follows.
 */
export async function fakeUpgradeServer(
  respond: (key: string, socket: net.Socket) => string | Buffer | undefined,
): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', (request: Buffer) => {
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(request.toString())?.[1] ?? '';
      const answer = respond(key, socket);
      if (answer !== undefined) socket.write(answer);
    });
  });
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** A `101 Switching Protocols` head accepting `key`, with `extra` header lines (each ending in CRLF). */
export function switchingProtocols(key: string, extra = ''): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n${extra}\r\n`;
}

/** A frame read back by a {@link RawClient}: opcode, FIN and the (unmasked) payload. */
export interface RawFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** A raw TCP client speaking WebSocket by hand. */
export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** Whether the server closed TCP. */
  ended = false;

  private constructor(
    readonly socket: net.Socket,
    readonly response: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects and sends `request` verbatim (a string as Latin-1); resolves once the response head has arrived. */
  static async connect(port: number, request: string | Uint8Array): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    // `events.once`, bounded: a refused connection or a reset rejects with its own error.
    await withTimeout(once(socket, 'connect'), 'the TCP connection');
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
    let head = Buffer.alloc(0);
    const deadline = Date.now() + 5000;
    while (head.indexOf('\r\n\r\n') < 0) {
      const chunk = await withTimeout(
        Promise.race([
          once(socket, 'data').then(([data]) => data as Buffer),
          once(socket, 'close').then(() => undefined),
        ]),
        'the handshake response',
        Math.max(0, deadline - Date.now()),
      );
      if (chunk === undefined) break;
      head = Buffer.concat([head, chunk]);
    }
    const end = head.indexOf('\r\n\r\n');
    const client = new RawClient(socket, head.subarray(0, end < 0 ? head.length : end + 4).toString('latin1'));
    if (end >= 0) client.buffer = head.subarray(end + 4);
    return client;
  }

  /** Performs a valid handshake for `path` with extra header lines. */
  static open(port: number, path = '/', extraHeaders = ''): Promise<RawClient> {
    return RawClient.connect(port, upgradeRequest(path, extraHeaders));
  }

  /** The status code of the handshake response. */
  get status(): number {
    return Number(this.response.split(' ')[1]);
  }

  /** Sends raw bytes. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Reads the next whole frame, or `undefined` if TCP closes first (waits at most `timeoutMs`). */
  async readFrame(timeoutMs = 5000): Promise<RawFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.tryParse();
      if (parsed) return parsed;
      if (this.ended) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Reads frames until a close frame and returns its code (1005 for an empty one), or `undefined` if none came. */
  async readCloseCode(timeoutMs = 5000): Promise<number | undefined> {
    for (;;) {
      const next = await this.readFrame(timeoutMs);
      if (next === undefined) return undefined;
      if (next.opcode === 0x8) return next.payload.length >= 2 ? next.payload.readUInt16BE(0) : 1005;
    }
  }

  /** Waits until the server closes TCP. */
  async waitForEnd(timeoutMs = 5000): Promise<void> {
    await until(() => this.ended, timeoutMs, 'the server to close the connection');
  }

  /** Sends a masked close frame with `code`. */
  sendClose(code: number, reason = ''): void {
    this.write(clientFrame(0x8, closePayload(code, reason)));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private tryParse(): RawFrame | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (b.length < offset + length) return undefined;
    const frame = {
      fin: (b[0]! & 0x80) !== 0,
      opcode: b[0]! & 0x0f,
      payload: Buffer.from(b.subarray(offset, offset + length)),
    };
    this.buffer = b.subarray(offset + length);
    return frame;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A valid opening handshake request for `path`, with extra header lines (each ending in CRLF). */
export function upgradeRequest(path = '/', extraHeaders = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    extraHeaders +
    '\r\n'
  );
}
