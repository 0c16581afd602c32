/**
 * Shared plumbing of the engine tests: a loopback server running an {@link EngineServer}, raw
 * HTTP requests built by hand, and a raw WebSocket client that queues what it receives.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EngineServer,
  type ConnectionError,
  type EngineServerOptions,
  type EngineSocket,
} from '../../src/engine/index.js';
import { WebSocket } from '../../src/ws/index.js';
import { waitFor, withTimeout } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

/** A running engine on an ephemeral loopback port. */
export interface EngineFixture {
  readonly engine: EngineServer;
  readonly http: Server;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** The engine's URL with the given query string, e.g. `url('EIO=4&transport=polling')`. */
  url(query: string): string;
  /** Path and query of the engine, for raw requests. */
  path(query: string): string;
  /** Resolves with the next session that opens. */
  nextConnection(): Promise<EngineSocket>;
  close(): Promise<void>;
}

/** Starts an engine attached to a fresh HTTP server (which answers 404 to anything else). */
export async function startEngine(options: EngineServerOptions = {}): Promise<EngineFixture> {
  const http = createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  const engine = new EngineServer(options);
  engine.attach(http);
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  const port = (http.address() as AddressInfo).port;
  const base = engine.options.path;
  return {
    engine,
    http,
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (query) => `http://127.0.0.1:${port}${base}?${query}`,
    path: (query) => `${base}?${query}`,
    nextConnection: () => waitFor<[EngineSocket]>(engine, 'connection').then(([socket]) => socket),
    close: async () => {
      engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * Runs `body` against an engine started with `options`, with the `'connection_error'`s it reports
 * so far; the engine and its server are closed afterwards, whatever happens.
 */
export async function withEngine(
  options: EngineServerOptions,
  body: (fixture: EngineFixture, errors: ConnectionError[]) => Promise<void>,
): Promise<void> {
  await withServer(
    () => startEngine(options),
    (fixture) => {
      const errors: ConnectionError[] = [];
      fixture.engine.on('connection_error', (error) => errors.push(error));
      return body(fixture, errors);
    },
  );
}

/** The answer to a raw request. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body's bytes as received (still compressed, if the server compressed it). */
  readonly raw: Buffer;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Abort the request (destroying its connection) when this signal fires; it then resolves with status 0. */
  readonly signal?: AbortSignal;
}

/** Sends one HTTP request by hand to 127.0.0.1:port and collects the whole answer. */
export function rawRequest(port: number, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined && headers['Transfer-Encoding'] === undefined) {
      headers['Content-Length'] = String(Buffer.byteLength(options.body));
    }
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false });
    req.setNoDelay(true);
    options.signal?.addEventListener('abort', () => {
      req.destroy();
      resolve({ status: 0, headers: {}, body: '', raw: Buffer.alloc(0) });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (options.signal?.aborted !== true) reject(error);
    });
    req.end(options.body);
  });
}

/** Opens a polling session by hand and returns its handshake data. */
export async function openPolling(
  fixture: EngineFixture,
): Promise<{ sid: string; upgrades: string[]; pingInterval: number; pingTimeout: number; maxPayload: number }> {
  const response = await rawRequest(fixture.port, fixture.path('EIO=4&transport=polling'));
  if (response.status !== 200 || !response.body.startsWith('0')) {
    throw new Error(`handshake failed: ${response.status} ${response.body}`);
  }
  return JSON.parse(response.body.slice(1));
}

/** One message a raw WebSocket client received. */
export interface RawMessage {
  readonly text: string;
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** A WebSocket client (Switchboard's own) that queues what it receives, for raw-frame tests. */
export class RawWebSocket {
  readonly ws: WebSocket;
  private readonly queue: RawMessage[] = [];
  private readonly waiters: ((message: RawMessage) => void)[] = [];
  private readonly closing: Promise<[code: number, reason: string]>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const message = { text: isBinary ? '' : data.toString('utf8'), data, isBinary };
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.closing = new Promise((resolve) =>
      this.ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])),
    );
  }

  /** The close's code and reason; bounded from when it is read, not from when the socket opened. */
  get closed(): Promise<[code: number, reason: string]> {
    return withTimeout(this.closing, "the WebSocket's close", 10_000);
  }

  /** Opens `url` and resolves once the handshake completed. */
  static async connect(url: string): Promise<RawWebSocket> {
    const client = new RawWebSocket(url);
    await waitFor(client.ws, 'open');
    return client;
  }

  /** The next message, waiting at most `timeout` ms. */
  next(timeout = 5000): Promise<RawMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message within ${timeout} ms`)), timeout);
      this.waiters.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  /** The next text message. */
  async nextText(timeout?: number): Promise<string> {
    const message = await this.next(timeout);
    assert.equal(message.isBinary, false, 'expected a text frame');
    return message.text;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.close();
  }
}
