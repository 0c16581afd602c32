/**
 * What a hostile peer does, as small functions over the raw clients of the binding tests: stop
 * reading, flood pings, stream fragments, send deflate bombs, trickle request heads, and speak
 * Engine.IO and Socket.IO by hand (over WebSocket or long-polling) so packets no client library
 * would build reach the server. Every loop is bounded by a count.
 */
import { Buffer } from 'node:buffer';
import net from 'node:net';
import tls from 'node:tls';
import { rawRequest, type RawResponse } from '../engine/helpers.js';
import { deflateMessage } from '../helpers/deflate.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/ws-peers.js';
import { waitFor } from '../helpers/wait.js';

/** RFC 7692 §6: RSV1 marks a compressed message. */
const RSV1 = 0x40;

/** The offer a raw client makes to negotiate permessage-deflate (RFC 7692 §5). */
export const DEFLATE_OFFER = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';

/** Where a Socket.IO server answers Engine.IO v4 requests, by transport. */
export const SOCKET_IO_PATHS = {
  websocket: '/socket.io/?EIO=4&transport=websocket',
  polling: '/socket.io/?EIO=4&transport=polling',
} as const;

/** Stops reading: what the server writes stays in its buffers once the kernel's are full. */
export function stopReading(client: RawClient): void {
  client.socket.pause();
}

/**
 * Sends `count` pings of `payloadSize` bytes (at most 125, RFC 6455 §5.5) in writes of at most
 * 64 KiB; each asks the server for a pong of the same size (§5.5.2). Returns the bytes sent.
 */
export function floodPings(client: RawClient, count: number, payloadSize = 125): number {
  const one = clientFrame(0x9, Buffer.alloc(payloadSize, 0x70));
  const perWrite = Math.max(1, Math.floor(65_536 / one.length));
  let sent = 0;
  for (let left = count; left > 0; left -= perWrite) {
    const batch = Math.min(perWrite, left);
    client.write(Buffer.concat(Array.from({ length: batch }, () => one)));
    sent += batch * one.length;
  }
  return sent;
}

/**
 * Starts a text message with a 1-byte first fragment and sends `count` 1-byte continuation
 * frames (RFC 6455 §5.4), never the last one; returns the payload bytes sent. With `fin`, the
 * last continuation ends the message.
 */
export function streamFragments(client: RawClient, count: number, fin = false): number {
  client.write(clientFrame(0x1, 'a', { fin: false }));
  const one = clientFrame(0x0, 'a', { fin: false });
  const perWrite = 4096;
  for (let left = count; left > 0; left -= perWrite) {
    const batch = Math.min(perWrite, left);
    const frames = Array.from({ length: batch }, () => one);
    if (fin && left === batch) frames[batch - 1] = clientFrame(0x0, 'a');
    client.write(Buffer.concat(frames));
  }
  return count + 1;
}

/** `data` as one compressed message (RSV1, RFC 7692 §7.2.1) in one frame of `opcode`, masked. */
export function compressedFrame(opcode: number, data: Uint8Array): Buffer {
  return clientFrame(opcode, deflateMessage(data), { rsv: RSV1 });
}

/**
 * A compressed binary message of `inflatedSize` zero bytes: a thousandth of that on the wire
 * (DEFLATE's best ratio is about 1:1000), all of it to inflate.
 */
export function deflateBomb(inflatedSize: number): Buffer {
  return compressedFrame(0x2, Buffer.alloc(inflatedSize));
}

/** Opens a raw TCP connection to 127.0.0.1:`port`. */
export async function connectTcp(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await waitFor(socket, 'connect');
  return socket;
}

/**
 * Writes `bytes` `perWrite` bytes at a time, one write per event-loop turn, as a slow (or
 * malicious) client trickles a request head; stops early once the server answers or the socket
 * closes (a write after the server left would reset the connection before its answer is read).
 */
export async function trickle(socket: net.Socket, bytes: Uint8Array, perWrite = 1): Promise<void> {
  for (let offset = 0; offset < bytes.length && !socket.destroyed && socket.bytesRead === 0; offset += perWrite) {
    socket.write(bytes.subarray(offset, offset + perWrite));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Everything the server answers on `socket` until it closes the connection (or `timeoutMs`
 * passes), as Latin-1 text, and whether it closed.
 */
export async function readUntilClosed(
  socket: net.Socket,
  timeoutMs = 5000,
): Promise<{ text: string; closed: boolean }> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  // Not `events.once(socket, 'close')`: that rejects on the 'error' a write after the server left raises.
  const closed = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
  ]);
  return { text: Buffer.concat(chunks).toString('latin1'), closed };
}

/** The status code of the first HTTP response in `text`, or `undefined` when there is none. */
export function statusOf(text: string): number | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * The first bytes a TLS client sends (its ClientHello record), as a client that takes a plain
 * port for HTTPS sends them: captured from Node's own TLS client against a throwaway listener.
 */
export async function captureClientHello(): Promise<Buffer> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await waitFor(listener, 'listening');
  try {
    const received = new Promise<Buffer>((resolve) =>
      listener.once('connection', (socket) =>
        socket.once('data', (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
        }),
      ),
    );
    const client = tls.connect({
      port: (listener.address() as net.AddressInfo).port,
      host: '127.0.0.1',
      servername: 'example.com',
    });
    client.on('error', () => undefined);
    const hello = await received;
    client.destroy();
    return hello;
  } finally {
    listener.close();
  }
}

/** A raw WebSocket client speaking Engine.IO v4 by hand, its `open` packet already read. */
export interface EngineWebSocket {
  readonly client: RawClient;
  /** The session id the server gave in its `open` packet. */
  readonly sid: string;
  /** Sends one Engine.IO packet as one text frame (e.g. `'40'` to join `/`, `'3'` a pong). */
  send(packet: string): void;
  /** The next text frame's payload, skipping server pings (`'2'`), which it answers. */
  next(timeoutMs?: number): Promise<string | undefined>;
}

/**
 * Opens an Engine.IO session over WebSocket (`?EIO=4&transport=websocket`) at `path` and reads
 * the `open` packet; with `join`, connects to the main namespace (`40`) and reads its CONNECT.
 */
export async function openEngineWebSocket(
  port: number,
  options: { path?: string; join?: boolean; extraHeaders?: string } = {},
): Promise<EngineWebSocket> {
  const client = await RawClient.open(port, options.path ?? SOCKET_IO_PATHS.websocket, options.extraHeaders ?? '');
  if (client.status !== 101) throw new Error(`the server answered ${client.status}`);
  const send = (packet: string): void => client.write(clientFrame(0x1, packet));
  const next = async (timeoutMs = 5000): Promise<string | undefined> => {
    for (;;) {
      const frame = await client.readFrame(timeoutMs);
      if (frame === undefined || frame.opcode === 0x8) return undefined;
      if (frame.opcode !== 0x1) continue;
      const text = frame.payload.toString('utf8');
      if (text !== '2') return text;
      send('3');
    }
  };
  const open = await next();
  if (open === undefined || !open.startsWith('0')) throw new Error(`expected an open packet, got ${open}`);
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  if (options.join === true) {
    send('40');
    const connect = await next();
    if (connect === undefined || !connect.startsWith('40')) throw new Error(`expected a CONNECT, got ${connect}`);
  }
  return { client, sid, send, next };
}

/** An Engine.IO session over HTTP long-polling, driven request by request. */
export interface EnginePolling {
  readonly sid: string;
  /** POSTs `body` (packets joined by the record separator `\x1e`, Engine.IO v4 "Payload"). */
  post(body: string | Buffer): Promise<RawResponse>;
  /** GETs the next batch of packets. */
  poll(): Promise<RawResponse>;
}

/**
 * Opens an Engine.IO session over long-polling at 127.0.0.1:`port` (the Socket.IO path unless
 * `path` says otherwise); with `join`, connects to the main namespace and reads its CONNECT.
 */
export async function openEnginePolling(
  port: number,
  options: { path?: string; join?: boolean } = {},
): Promise<EnginePolling> {
  const path = options.path ?? SOCKET_IO_PATHS.polling;
  const handshake = await rawRequest(port, path);
  if (handshake.status !== 200 || !handshake.body.startsWith('0'))
    throw new Error(`handshake failed: ${handshake.status} ${handshake.body}`);
  const sid = (JSON.parse(handshake.body.slice(1)) as { sid: string }).sid;
  const session: EnginePolling = {
    sid,
    post: (body) =>
      rawRequest(port, `${path}&sid=${sid}`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      }),
    poll: () => rawRequest(port, `${path}&sid=${sid}`),
  };
  if (options.join === true) {
    await session.post('40');
    const connect = await session.poll();
    if (!connect.body.startsWith('40')) throw new Error(`expected a CONNECT, got ${connect.body}`);
  }
  return session;
}

/** A Socket.IO EVENT packet (`2`) for the main namespace: `event` with `count` arguments, each `0`. */
export function eventWithArguments(event: string, count: number): string {
  return `2${JSON.stringify([event]).slice(0, -1)}${',0'.repeat(count)}]`;
}

/** A Socket.IO ACK packet (`3`) for the main namespace answering `id` with `count` values, each `0`. */
export function ackWithValues(id: number, count: number): string {
  return `3${id}[0${',0'.repeat(count - 1)}]`;
}

/** A Socket.IO client driven by hand over either transport, already in the main namespace. */
export interface SocketIoAttacker {
  readonly sid: string;
  /** Sends one Socket.IO packet (the Engine.IO `4` prefix is added). */
  send(packet: string): Promise<void>;
  /** Sends one binary attachment (a binary frame, or a base64 `b` packet over polling). */
  sendBinary(bytes: Uint8Array): Promise<void>;
  /** Resolves once the server has ended the session: a close frame (or TCP closed), or a poll answered with `close` or refused. */
  closedByServer(): Promise<void>;
  /** Drops the connection (over polling: sends a `close` packet). */
  close(): Promise<void>;
}

/** Opens a session over `transport` at 127.0.0.1:`port` and joins the main namespace. */
export async function openSocketIo(port: number, transport: 'websocket' | 'polling'): Promise<SocketIoAttacker> {
  if (transport === 'websocket') {
    const session = await openEngineWebSocket(port, { join: true });
    return {
      sid: session.sid,
      send: async (packet) => session.send(`4${packet}`),
      sendBinary: async (bytes) => session.client.write(clientFrame(0x2, bytes)),
      closedByServer: async () => void (await session.client.readCloseCode()),
      close: async () => session.client.destroy(),
    };
  }
  const session = await openEnginePolling(port, { join: true });
  return {
    sid: session.sid,
    send: async (packet) => void (await session.post(`4${packet}`)),
    sendBinary: async (bytes) => void (await session.post(`b${Buffer.from(bytes).toString('base64')}`)),
    async closedByServer() {
      // The close packet rides on the next poll (Engine.IO v4 "Payload": packets joined by \x1e).
      const answer = await session.poll();
      if (answer.status === 200 && answer.body.split('\x1e').includes('1')) return;
      if (answer.status === 400) return;
      throw new Error(`the session is still open: ${answer.status} ${answer.body.slice(0, 80)}`);
    },
    close: async () => void (await session.post('1').catch(() => undefined)),
  };
}
