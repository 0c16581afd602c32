import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import {
  ErrorCode,
  WebSocketError,
  createClientKey,
  formatExtensionList,
  isToken,
  upgradeRequestHeaders,
  verifyUpgradeResponse,
} from '../protocol/index.js';
import { offerDeflateExtension, type DeflateAgreement } from './deflate-session.js';
import { resolveConnectionSettings, type ConnectionSettings, type ResolvedConnectionSettings } from './options.js';
import { resolveDeflateOptions, type PerMessageDeflateOptions } from './permessage-deflate.js';

/** Options of a client `WebSocket`: everything a browser cannot set, for Node. */
export interface WebSocketOptions extends ConnectionSettings {
  /** Extra request headers, e.g. a cookie or a bearer token. */
  headers?: Record<string, string>;
  /** The `Origin` header to send, as a browser would. @default none */
  origin?: string;
  /** Time allowed for the opening handshake, in ms; past it the connection fails. @default 30000 */
  handshakeTimeout?: number;
  /** Ping the server this often (ms) and terminate the connection if it stays silent for a whole interval; 0 turns it off. @default 0 */
  heartbeatInterval?: number;
  /** Certificate authorities to trust for `wss:` (e.g. a self-signed certificate). @default Node's bundled CAs */
  ca?: string | Buffer | (string | Buffer)[];
  /** Client certificate for mutual TLS. */
  cert?: string | Buffer;
  /** Private key for `cert`. */
  key?: string | Buffer;
  /** Reject servers whose certificate does not verify. @default true */
  rejectUnauthorized?: boolean;
  /** TLS server name (SNI) when it differs from the URL's host. */
  servername?: string;
  /** Local address to connect from. */
  localAddress?: string;
  /** Offer permessage-deflate (RFC 7692); an object sets what is offered and how messages are compressed. @default true */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** What a client handshake reports back to its `WebSocket`. */
export interface ClientHandshakeCallbacks {
  open(setup: {
    role: 'client';
    socket: Duplex;
    head: Buffer;
    protocol: string;
    extensions: string;
    settings: ResolvedConnectionSettings;
    deflate: DeflateAgreement | undefined;
  }): void;
  fail(error: Error): void;
}

function syntaxError(message: string): DOMException {
  return new DOMException(message, 'SyntaxError');
}

/** Parses and checks a WebSocket URL as the WHATWG constructor does; `http(s):` maps to `ws(s):`. */
function parseWebSocketUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw syntaxError(`invalid URL: ${String(input)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw syntaxError(`the URL's scheme must be ws or wss, not ${url.protocol}`);
  if (url.hash !== '' || String(input).includes('#')) throw syntaxError('a WebSocket URL must not have a fragment');
  return url;
}

function checkProtocols(protocols: string | string[]): string[] {
  const list = typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (!isToken(protocol)) throw syntaxError(`invalid subprotocol ${JSON.stringify(protocol)}`);
    // WHATWG: subprotocols are compared case-insensitively for duplicates.
    const folded = protocol.toLowerCase();
    if (seen.has(folded)) throw syntaxError(`duplicate subprotocol ${JSON.stringify(protocol)}`);
    seen.add(folded);
  }
  return list;
}

/**
 * Runs a client's opening handshake (RFC 6455 §4.1) over `http`/`https`, and reports the upgraded
 * socket or the failure. Synchronous checks (URL, subprotocols, options) throw; network and
 * protocol failures arrive through `callbacks.fail`, always asynchronously.
 */
export function connectClient(
  target: EventEmitter,
  input: string | URL,
  protocols: string | string[],
  options: WebSocketOptions,
  callbacks: ClientHandshakeCallbacks,
): { url: string; abort(error: Error): void } {
  const url = parseWebSocketUrl(input);
  const offeredProtocols = checkProtocols(protocols);
  const settings = resolveConnectionSettings(options);
  const handshakeTimeout = options.handshakeTimeout ?? 30_000;
  const deflate = offerDeflateExtension(resolveDeflateOptions(options.perMessageDeflate, true));

  const key = createClientKey(randomBytes(16));
  const headers: Record<string, string> = { ...options.headers, ...upgradeRequestHeaders({ key, protocols: offeredProtocols, extensions: deflate.offer }) };
  if (options.origin !== undefined) headers['Origin'] = options.origin;
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL become HTTP Basic authentication, as browsers send them.
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  const secure = url.protocol === 'wss:';
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const request = (secure ? https : http).request({
    host: hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers,
    agent: false,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    servername: options.servername ?? (secure && !/^[\d.:]+$/.test(hostname) ? hostname : undefined),
    localAddress: options.localAddress,
  });

  let settled = false;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    return true;
  };
  const fail = (error: Error): void => {
    if (!settle()) return;
    request.destroy();
    process.nextTick(() => callbacks.fail(error));
  };
  const timer = setTimeout(() => {
    fail(new WebSocketError(ErrorCode.HandshakeTimeout, `opening handshake timed out after ${handshakeTimeout} ms`));
  }, handshakeTimeout);
  timer.unref();

  request.on('error', (error) => fail(error));
  request.on('response', (response) => {
    response.resume();
    fail(new WebSocketError(ErrorCode.BadUpgradeResponse, `unexpected server response: ${response.statusCode}`, { status: response.statusCode ?? 0 }));
  });
  request.on('upgrade', (response: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (settled) {
      socket.destroy();
      return;
    }
    let protocol: string;
    let extensions: string;
    let agreement: DeflateAgreement | undefined;
    try {
      const result = verifyUpgradeResponse(response.statusCode ?? 0, response.headers, { key, protocols: offeredProtocols });
      protocol = result.protocol;
      // Throws for an extension that was not offered (RFC 6455 §4.1) or a bad answer (RFC 7692 §5.1).
      agreement = deflate.accept(result.extensions);
      extensions = formatExtensionList(result.extensions);
    } catch (error) {
      socket.destroy();
      fail(error as Error);
      return;
    }
    settle();
    target.emit('upgrade', response);
    callbacks.open({ role: 'client', socket, head, protocol, extensions, settings, deflate: agreement });
  });
  request.end();

  return { url: url.href, abort: fail };
}
