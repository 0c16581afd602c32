import { connect, type Socket } from 'node:net';
import { EXPECTED_ACCEPT, upgradeRequest } from './client-frames.js';

/** A socket past the WebSocket handshake. */
export interface OpenSocket {
  readonly socket: Socket;
  /** Bytes that arrived right after the response head: already the first frames. */
  readonly head: Buffer;
  /** The Sec-WebSocket-Extensions the server answered with, or ''. */
  readonly extensions: string;
}

/** Where and how to connect. */
export interface ConnectOptions {
  readonly port: number;
  readonly path: string;
  readonly localAddress?: string | undefined;
  readonly extensions?: string | undefined;
  readonly timeoutMs: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Connects over raw TCP and performs the client side of the RFC 6455 §4.1 handshake by hand,
 * checking the status line and the accept value; rejects after `timeoutMs`.
 */
export function openWebSocket(options: ConnectOptions): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: options.port,
      localAddress: options.localAddress,
      noDelay: true,
    });
    let received: Buffer = Buffer.alloc(0);
    const timer = setTimeout(
      () => fail(new Error(`handshake timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const end = received.indexOf(HEAD_END);
      if (end === -1) {
        if (received.length > 16384) fail(new Error('handshake response head too large'));
        return;
      }
      const head = received.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) return fail(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
      if (!head.includes(EXPECTED_ACCEPT))
        return fail(new Error('handshake response has a wrong Sec-WebSocket-Accept'));
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      const extensions = /\r\nsec-websocket-extensions:\s*([^\r]*)/i.exec(head)?.[1] ?? '';
      resolve({ socket, head: received.subarray(end + 4), extensions });
    };
    socket.on('data', onData);
    socket.on('error', fail);
    socket.once('connect', () => socket.write(upgradeRequest(options.port, options.path, options.extensions)));
  });
}

/**
 * Drops a connection with a TCP reset: no FIN handshake and no TIME_WAIT left behind, so thousands
 * of connections per run never pile up in the kernel between runs.
 */
export function abort(socket: Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

/**
 * Opens `count` sockets with at most `concurrency` handshakes in flight; `open` picks the options of
 * socket i. If any handshake fails, the others stop being started, every socket opened is destroyed,
 * and the first error is thrown.
 */
export async function openMany<T extends { readonly socket: Socket }>(
  count: number,
  concurrency: number,
  open: (index: number) => Promise<T>,
): Promise<T[]> {
  const sockets: T[] = [];
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < count && failure === undefined) {
      const index = next++;
      try {
        sockets[index] = await open(index);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) {
    for (const opened of sockets) if (opened !== undefined) abort(opened.socket);
    throw failure;
  }
  return sockets;
}
