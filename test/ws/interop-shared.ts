/**
 * Shared pieces of the interop tests, which run Switchboard's WebSocket against the `ws` package in
 * both roles: payloads of the sizes that cross every length encoding, the valid close codes, and
 * close outcomes read the same way on both implementations.
 */
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket as WsWebSocket, WebSocketServer as WsServer, type ServerOptions as WsServerOptions } from 'ws';
import type { CloseEvent, WebSocket } from '../../src/ws/index.js';

/** Message sizes in bytes: each side of the 7-, 16- and 64-bit length encodings, and large messages. */
export const SIZES = [0, 1, 125, 126, 65535, 65536, 1024 * 1024, 16 * 1024 * 1024] as const;

/** Every valid close code of RFC 6455 §7.4 below 3000, and samples of the application range. */
export const VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3001, 3999, 4000, 4321, 4999] as const;

/** A close reason with multi-byte characters. */
export const CLOSE_REASON = 'fin de la sesión ✓';

const TEXT_PATTERN = 'aé€𝄞'; // 1 + 2 + 3 + 4 bytes: every UTF-8 sequence length

/** A string of exactly `bytes` UTF-8 bytes, with characters of every width. */
export function textOfBytes(bytes: number): string {
  const text = TEXT_PATTERN.repeat(Math.floor(bytes / 10)) + 'x'.repeat(bytes % 10);
  if (Buffer.byteLength(text) !== bytes) throw new Error('textOfBytes miscounted');
  return text;
}

/** `bytes` bytes of every value, in a pattern that shows misplaced or swapped chunks. */
export function binaryOfBytes(bytes: number): Buffer {
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 131 + (i >>> 8)) & 0xff;
  return data;
}

/** How a connection ended, as either implementation reports it. */
export interface CloseOutcome {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

const TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with how a Switchboard socket closed (its browser-style close event). */
export function ourClose(socket: WebSocket): Promise<CloseOutcome> {
  return withTimeout(
    new Promise((resolve) =>
      socket.addEventListener(
        'close',
        (event: CloseEvent) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }),
        { once: true },
      ),
    ),
    'a Switchboard close',
  );
}

/** Resolves with how a `ws` socket closed (its browser-style close event). */
export function wsClose(socket: WsWebSocket): Promise<CloseOutcome> {
  return withTimeout(
    new Promise((resolve) =>
      socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }), {
        once: true,
      }),
    ),
    'a ws close',
  );
}

/** Resolves with the next Node-style `message` of either implementation. */
export function nextMessage(socket: NodeJS.EventEmitter, timeoutMs = TIMEOUT_MS): Promise<{ data: Buffer; isBinary: boolean }> {
  return withTimeout(
    once(socket, 'message').then(([data, isBinary]) => ({ data: data as Buffer, isBinary: isBinary as boolean })),
    'a message',
    timeoutMs,
  );
}

/** Resolves with the arguments of the next `event`, failing after a bounded wait. */
export function next<T extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, timeoutMs = TIMEOUT_MS): Promise<T> {
  return withTimeout(once(emitter, event) as Promise<T>, `'${event}'`, timeoutMs);
}

/** A `ws` server on 127.0.0.1 and an ephemeral port, and a way to stop it and its connections. */
export async function startWsServer(options: Omit<WsServerOptions, 'port' | 'host' | 'server' | 'noServer'> = {}): Promise<{
  readonly wss: WsServer;
  readonly url: string;
  close(): Promise<void>;
}> {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  return {
    wss,
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Opens a `ws` client and waits until it is open. */
export async function openWsClient(url: string, options: ConstructorParameters<typeof WsWebSocket>[2] = {}): Promise<WsWebSocket> {
  const client = new WsWebSocket(url, options);
  await next(client, 'open');
  return client;
}

/** Opens a Switchboard client and waits until it is open. */
export async function openOurClient(socket: WebSocket): Promise<WebSocket> {
  await next(socket, 'open');
  return socket;
}
