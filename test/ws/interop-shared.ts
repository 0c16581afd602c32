/**
 * Shared pieces of the interop tests, which run Switchboard's WebSocket against the `ws` package in
 * both roles: payloads of the sizes that cross every length encoding, the valid close codes, close
 * outcomes read the same way on both implementations, and the two pairings (which implementation is
 * the server) that one suite runs against.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import {
  WebSocket as WsWebSocket,
  WebSocketServer as WsServer,
  type PerMessageDeflateOptions as WsDeflateOptions,
  type ServerOptions as WsServerOptions,
} from 'ws';
import { ErrorCode, WebSocket, WebSocketError, type CloseEvent } from '../../src/ws/index.js';
import { startServer } from '../helpers/ws-peers.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

/** Message sizes in bytes: each side of the 7-, 16- and 64-bit length encodings, and large messages. */
export const SIZES = [0, 1, 125, 126, 65535, 65536, 1024 * 1024, 16 * 1024 * 1024] as const;

/** Every valid close code of RFC 6455 §7.4 below 3000, and samples of the application range. */
export const VALID_CLOSE_CODES = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3001, 3999, 4000, 4321, 4999,
] as const;

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
      socket.addEventListener(
        'close',
        (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean }),
        {
          once: true,
        },
      ),
    ),
    'a ws close',
  );
}

/** Resolves with the next Node-style `message` of either implementation. */
export function nextMessage(
  socket: NodeJS.EventEmitter,
  timeoutMs = TIMEOUT_MS,
): Promise<{ data: Buffer; isBinary: boolean }> {
  return waitFor<[Buffer, boolean]>(socket, 'message', timeoutMs).then(([data, isBinary]) => ({ data, isBinary }));
}

/** A `ws` server on 127.0.0.1 and an ephemeral port, and a way to stop it and its connections. */
export async function startWsServer(
  options: Omit<WsServerOptions, 'port' | 'host' | 'server' | 'noServer'> = {},
): Promise<{
  readonly wss: WsServer;
  readonly url: string;
  close(): Promise<void>;
}> {
  const wss = new WsServer({ port: 0, host: '127.0.0.1', ...options });
  await waitFor(wss, 'listening');
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
export async function openWsClient(
  url: string,
  options: ConstructorParameters<typeof WsWebSocket>[2] = {},
): Promise<WsWebSocket> {
  const client = new WsWebSocket(url, options);
  await waitFor(client, 'open');
  return client;
}

/** Opens a Switchboard client and waits until it is open. */
export async function openOurClient(socket: WebSocket): Promise<WebSocket> {
  await waitFor(socket, 'open');
  return socket;
}

/** The deflate settings both implementations type alike (their zlib settings differ in exact optionality). */
export type EndDeflateOptions = Omit<WsDeflateOptions, 'zlibDeflateOptions' | 'zlibInflateOptions'>;

/** The options a test gives either end; both implementations spell them the same way. */
export interface EndOptions {
  readonly maxPayload?: number;
  readonly perMessageDeflate?: boolean | EndDeflateOptions;
}

/** What the tests do with an end of a connection, whichever implementation it is. */
export interface Peer extends NodeJS.EventEmitter {
  // Two forms, as `ws` declares them: with exact optional properties its options form takes no `undefined`.
  send(data: string | Buffer): void;
  send(data: string | Buffer, options: { binary?: boolean; fin?: boolean; compress?: boolean }): void;
  ping(data?: string | Buffer): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/** The two ends of one connection, by role (client, server) and by implementation (ours, theirs). */
export interface Connection {
  readonly client: Peer;
  readonly server: Peer;
  /** The Switchboard end. */
  readonly ours: WebSocket;
  /** The `ws` end. */
  readonly theirs: WsWebSocket;
}

/** A listening server of one pairing, and how to connect the other implementation's client to it. */
export interface PairedServer {
  readonly url: string;
  /** Calls `handler` with the server's end of every connection it accepts. */
  onConnection(handler: (socket: Peer) => void): void;
  /** Starts a client (with `options`) without waiting for it to open, so listeners can see its first messages. */
  dial(options?: EndOptions): Peer;
  /** Opens a client (with `options`) and resolves with both ends once it is open. */
  connect(options?: EndOptions): Promise<Connection>;
  close(): Promise<void>;
}

/** Which role Switchboard plays. */
export type Role = 'server' | 'client';

/** One way to pair Switchboard with `ws`: who is the server, who is the client. */
export interface Pairing {
  readonly name: string;
  /** The role Switchboard plays; `ws` plays the other. */
  readonly ours: Role;
  start(options?: EndOptions): Promise<PairedServer>;
}

/** Sorts the two ends of a connection by implementation, checking that it pairs one of each. */
function asConnection(client: Peer, server: Peer): Connection {
  if (client instanceof WebSocket && server instanceof WsWebSocket)
    return { client, server, ours: client, theirs: server };
  if (server instanceof WebSocket && client instanceof WsWebSocket)
    return { client, server, ours: server, theirs: client };
  throw new TypeError('a connection pairs a Switchboard WebSocket with a ws one');
}

/** A {@link PairedServer} over a started server of either implementation and a way to dial it with the other's client. */
function pairedServer(
  server: { readonly url: string; readonly wss: NodeJS.EventEmitter; close(): Promise<void> },
  dial: (url: string, options: EndOptions) => Peer,
): PairedServer {
  return {
    url: server.url,
    onConnection: (handler) => server.wss.on('connection', handler),
    dial: (options = {}) => dial(server.url, options),
    async connect(options = {}) {
      const accepted = waitFor<[Peer]>(server.wss, 'connection');
      const client = dial(server.url, options);
      await waitFor(client, 'open');
      const [socket] = await accepted;
      return asConnection(client, socket);
    },
    close: () => server.close(),
  };
}

/** Switchboard's WebSocketServer against the `ws` client, and the `ws` server against Switchboard's client. */
export const PAIRINGS: readonly Pairing[] = [
  {
    name: 'Switchboard server, ws client',
    ours: 'server',
    start: async (options = {}) =>
      pairedServer(await startServer(options), (url, clientOptions) => new WsWebSocket(url, clientOptions)),
  },
  {
    name: 'ws server, Switchboard client',
    ours: 'client',
    start: async (options = {}) =>
      pairedServer(await startWsServer(options), (url, clientOptions) => new WebSocket(url, clientOptions)),
  },
];

/** Starts `pairing`'s server with the options meant for each implementation, and the options its client gets. */
export async function startPaired(
  pairing: Pairing,
  options: { readonly ours?: EndOptions; readonly theirs?: EndOptions },
): Promise<{ readonly server: PairedServer; readonly clientOptions: EndOptions }> {
  const [serverOptions, clientOptions] =
    pairing.ours === 'server' ? [options.ours, options.theirs] : [options.theirs, options.ours];
  return { server: await pairing.start(serverOptions), clientOptions: clientOptions ?? {} };
}

/** Makes every connection `server` accepts echo each message back with the same type. */
export function echoMessages(server: PairedServer): void {
  server.onConnection((socket) =>
    socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary })),
  );
}

/** Resolves with how `peer` closed, whichever implementation it is. */
export function closeOf(peer: Peer): Promise<CloseOutcome> {
  if (peer instanceof WebSocket) return ourClose(peer);
  if (peer instanceof WsWebSocket) return wsClose(peer);
  throw new TypeError('closeOf takes a WebSocket of Switchboard or of ws');
}

/**
 * Checks that the `receiver` end fails the message `send` makes it receive with 1009 (Message Too
 * Big): Switchboard with a `MessageTooBig` error and a 1009 on both ends, `ws` with its own error code.
 */
export async function expectTooBig(
  pairing: Pairing,
  connection: Connection,
  receiver: Role,
  send: (sender: Peer) => void,
): Promise<void> {
  const sender = connection[receiver === 'server' ? 'client' : 'server'];
  const ours = ourClose(connection.ours);
  if (pairing.ours === receiver) {
    const error = waitFor<[Error]>(connection.ours, 'error');
    const theirs = wsClose(connection.theirs);
    send(sender);
    const [failure] = await error;
    assert.ok(failure instanceof WebSocketError);
    assert.equal(failure.code, ErrorCode.MessageTooBig);
    assert.equal((await ours).code, 1009);
    assert.equal((await theirs).code, 1009);
  } else {
    const failure = waitFor<[Error & { code?: string }]>(connection.theirs, 'error');
    send(sender);
    assert.equal((await failure)[0].code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    // ws stops reading once it fails, so it reports 1006 itself; the close frame it sent carries 1009.
    assert.equal((await ours).code, 1009);
  }
}
