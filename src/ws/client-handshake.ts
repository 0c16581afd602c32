import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
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
import {
  CONNECTION_SETTING_NAMES,
  checkOptionNames,
  resolveConnectionSettings,
  type ConnectionSettings,
  type ResolvedConnectionSettings,
} from './options.js';
import { resolveDeflateOptions, type PerMessageDeflateOptions } from './permessage-deflate.js';

/** Options of a client `WebSocket`: everything a browser cannot set, for Node. */
export interface WebSocketOptions extends ConnectionSettings, ClientTlsOptions {
  /** Subprotocols to offer when the constructor's `protocols` argument is left out (as in `ws`). */
  protocols?: string | string[];
  /** Extra request headers, e.g. a cookie or a bearer token. */
  headers?: Record<string, string>;
  /** The `Origin` header to send, as a browser would. @default none */
  origin?: string;
  /** Time allowed for the opening handshake, in ms, redirects included; past it the connection fails. @default 30000 */
  handshakeTimeout?: number;
  /** Ping the server this often (ms) and terminate the connection if it stays silent for a whole interval; 0 turns it off. @default 0 */
  heartbeatInterval?: number;
  /** Offer permessage-deflate (RFC 7692); an object sets what is offered and how messages are compressed. @default true */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** The `Sec-WebSocket-Version` to send: 13 (RFC 6455), or 8 (a draft, which sends `origin` as `Sec-WebSocket-Origin`), as `ws` takes it. @default 13 */
  protocolVersion?: number;
  /** Follow 3xx answers to the upgrade request (each reported by a `'redirect'` event). @default false */
  followRedirects?: boolean;
  /** Most redirects followed before the connection fails. @default 10 */
  maxRedirects?: number;
  /** The HTTP agent of the upgrade request (e.g. a proxy agent). @default none: a connection of its own */
  agent?: http.Agent;
  /** Opens the connection instead of `net.connect`/`tls.connect` (e.g. over an existing stream), as `http.request` takes it. */
  createConnection?: http.RequestOptions['createConnection'];
  /** Called with the upgrade request instead of ending it: set headers, then call `request.end()`. */
  finishRequest?: (request: http.ClientRequest, socket: EventEmitter) => void;
  /** `user:password` for HTTP Basic authentication (credentials in the URL do the same). */
  auth?: string;
  /** Local address to connect from. */
  localAddress?: string;
  /** Local port to connect from. */
  localPort?: number;
  /** IP version of the address to resolve the host to: 4 or 6. @default either */
  family?: number;
  /** `dns.lookup` hints. */
  hints?: number;
  /** Resolves host names instead of `dns.lookup`. */
  lookup?: http.RequestOptions['lookup'];
  /** Largest response head accepted, in bytes. @default Node's (16 KiB) */
  maxHeaderSize?: number;
}

/** TLS options for `wss:`, passed to `https.request` as `ws` does. */
export interface ClientTlsOptions {
  /** Certificate authorities to trust (e.g. a self-signed certificate). @default Node's bundled CAs */
  ca?: string | Buffer | (string | Buffer)[];
  /** Client certificate for mutual TLS. */
  cert?: string | Buffer | (string | Buffer)[];
  /** Private key for `cert`. */
  key?: string | Buffer | (string | Buffer)[];
  /** Passphrase of `key` or `pfx`. */
  passphrase?: string;
  /** Key and certificate in one PKCS#12 archive. */
  pfx?: string | Buffer | (string | Buffer)[];
  /** Reject servers whose certificate does not verify. @default true */
  rejectUnauthorized?: boolean;
  /** TLS server name (SNI) when it differs from the URL's host. */
  servername?: string;
  /** Checks the server's certificate against the host name, instead of Node's check. */
  checkServerIdentity?: https.RequestOptions['checkServerIdentity'];
  /** Cipher suites, in OpenSSL's format. */
  ciphers?: string;
  /** Lowest TLS version accepted. */
  minVersion?: https.RequestOptions['minVersion'];
  /** Highest TLS version accepted. */
  maxVersion?: https.RequestOptions['maxVersion'];
  /** Certificate revocation lists. */
  crl?: string | Buffer | (string | Buffer)[];
  /** A TLS session to resume. */
  session?: Buffer;
  /** A secure context made with `tls.createSecureContext`. */
  secureContext?: TlsConnectionOptions['secureContext'];
  /** OpenSSL option flags. */
  secureOptions?: number;
  /** ALPN protocols to offer. */
  ALPNProtocols?: TlsConnectionOptions['ALPNProtocols'];
  /** Smallest Diffie-Hellman parameter size accepted, in bits. */
  minDHSize?: number;
  /** Curves for ECDH key agreement. */
  ecdhCurve?: string;
  /** Supported signature algorithms. */
  sigalgs?: string;
}

const TLS_OPTION_NAMES = [
  'ca',
  'cert',
  'key',
  'passphrase',
  'pfx',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
  'ciphers',
  'minVersion',
  'maxVersion',
  'crl',
  'session',
  'secureContext',
  'secureOptions',
  'ALPNProtocols',
  'minDHSize',
  'ecdhCurve',
  'sigalgs',
] as const;

/** Options handed to `http.request` / `https.request` as given. */
const REQUEST_OPTION_NAMES = [
  'agent',
  'createConnection',
  'auth',
  'localAddress',
  'localPort',
  'family',
  'hints',
  'lookup',
  'maxHeaderSize',
  ...TLS_OPTION_NAMES,
] as const;

const CLIENT_OPTION_NAMES: ReadonlySet<string> = new Set([
  ...CONNECTION_SETTING_NAMES,
  ...REQUEST_OPTION_NAMES,
  'protocols',
  'headers',
  'origin',
  'handshakeTimeout',
  'heartbeatInterval',
  'perMessageDeflate',
  'protocolVersion',
  'followRedirects',
  'maxRedirects',
  'finishRequest',
]);

/** `ws` client options refused, with what to do instead. */
const REFUSED_CLIENT_OPTIONS: Readonly<Record<string, string>> = {
  generateMask:
    'masking keys come from a pool filled by the system CSPRNG (RFC 6455 §5.3 wants them unpredictable); leave it out',
  maxBufferedChunks: 'what a message may hold is bounded by maxPayload and maxFragments; use those',
  host: 'the URL gives the host; to send another Host header, set headers: { host }',
  hostname: 'the URL gives the host',
  port: 'the URL gives the port',
  path: 'the URL gives the path',
  socketPath: 'use a ws+unix: URL (ws+unix:/path/to/socket:/request/path)',
  protocol: 'the URL gives the scheme; subprotocols go in the protocols argument',
  method: 'the upgrade request is always a GET (RFC 6455 §4.1)',
  timeout: 'use handshakeTimeout',
};

/**
 * The `Sec-WebSocket-Version` values this client speaks, as `ws`: RFC 6455's 13, and draft 8,
 * whose frames are the same and whose origin header is named `Sec-WebSocket-Origin`.
 */
const PROTOCOL_VERSIONS = [8, 13];

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
  /** The handshake follows a redirect to `url`. */
  redirected(url: string): void;
}

/**
 * Parses and checks a WebSocket URL as `ws` does (a `SyntaxError` with its wording): `http(s):`
 * maps to `ws(s):`, and `ws+unix:/path/to/socket:/request/path` names a Unix domain socket.
 */
function parseWebSocketUrl(input: string | URL, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(input)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:' && url.protocol !== 'ws+unix:') {
    throw new SyntaxError('The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"');
  }
  if (url.protocol === 'ws+unix:' && url.pathname === '') throw new SyntaxError("The URL's pathname is empty");
  if (url.hash !== '' || (base === undefined && String(input).includes('#')))
    throw new SyntaxError('The URL contains a fragment identifier');
  return url;
}

function checkProtocols(protocols: string | string[]): string[] {
  const list = typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    // Not a string (null, a number): refused as ws does, rather than sent as its text.
    if (typeof protocol !== 'string') throw new SyntaxError('An invalid or duplicated subprotocol was specified');
    // WHATWG compares subprotocols case-insensitively for duplicates.
    const folded = protocol.toLowerCase();
    if (!isToken(protocol) || seen.has(folded))
      throw new SyntaxError('An invalid or duplicated subprotocol was specified');
    seen.add(folded);
  }
  return list;
}

/** Where one upgrade request goes: `http.request`'s address options for `url`. */
function requestTarget(url: URL): {
  secure: boolean;
  host: string;
  port: number | string | undefined;
  path: string;
  socketPath: string | undefined;
  origin: string;
} {
  const secure = url.protocol === 'wss:';
  if (url.protocol === 'ws+unix:') {
    // ws+unix:/path/to/socket:/request/path: the socket's path, then the request's after the first ':'.
    const target = `${url.pathname}${url.search}`;
    const colon = target.indexOf(':');
    const socketPath = colon < 0 ? target : target.slice(0, colon);
    return {
      secure,
      host: 'localhost',
      port: undefined,
      path: colon < 0 ? '/' : target.slice(colon + 1),
      socketPath,
      origin: `unix:${socketPath}`,
    };
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // The URL's port as written (a string), the default as a number: what ws hands to createConnection.
  const port = url.port === '' ? (secure ? 443 : 80) : url.port;
  return { secure, host, port, path: `${url.pathname}${url.search}`, socketPath: undefined, origin: url.host };
}

/**
 * Runs a client's opening handshake (RFC 6455 §4.1) over `http`/`https` (following redirects when
 * asked), and reports the upgraded socket or the failure. Synchronous checks (URL, subprotocols,
 * options) throw; network and protocol failures arrive through `callbacks.fail`, always
 * asynchronously. `target` gets `ws`'s handshake events: `'redirect'`, `'upgrade'` and
 * `'unexpected-response'`.
 */
export function connectClient(
  target: EventEmitter,
  input: string | URL,
  protocols: string | string[],
  options: WebSocketOptions,
  callbacks: ClientHandshakeCallbacks,
): { url: string; abort: (error: Error) => void } {
  checkOptionNames('WebSocket', options, CLIENT_OPTION_NAMES, REFUSED_CLIENT_OPTIONS);
  const protocolVersion = options.protocolVersion ?? 13;
  if (!PROTOCOL_VERSIONS.includes(protocolVersion)) {
    throw new RangeError(
      `Unsupported protocol version: ${protocolVersion} (supported versions: ${PROTOCOL_VERSIONS.join(', ')})`,
    );
  }
  const first = parseWebSocketUrl(input);
  const offeredProtocols = checkProtocols(protocols);
  const settings = resolveConnectionSettings(options);
  const handshakeTimeout = options.handshakeTimeout ?? 30_000;
  const followRedirects = options.followRedirects ?? false;
  const maxRedirects = options.maxRedirects ?? 10;
  const deflate = offerDeflateExtension(resolveDeflateOptions(options.perMessageDeflate, true));
  const passed: Record<string, unknown> = {};
  for (const name of REQUEST_OPTION_NAMES) if (options[name] !== undefined) passed[name] = options[name];

  const key = createClientKey(randomBytes(16));
  const firstTarget = requestTarget(first);
  let redirects = 0;
  let request: http.ClientRequest;
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
    fail(new WebSocketError(ErrorCode.HandshakeTimeout, 'Opening handshake has timed out'));
  }, handshakeTimeout);
  timer.unref();

  const send = (url: URL): void => {
    const where = requestTarget(url);
    const headers: Record<string, string> = {
      ...options.headers,
      ...upgradeRequestHeaders({ key, protocols: offeredProtocols, extensions: deflate.offer }),
    };
    if (protocolVersion === 8) headers['Sec-WebSocket-Version'] = '8';
    if (options.origin !== undefined)
      headers[protocolVersion === 8 ? 'Sec-WebSocket-Origin' : 'Origin'] = options.origin;
    if (url.username !== '' || url.password !== '') {
      // Credentials in the URL become HTTP Basic authentication, as browsers send them.
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    const request_: http.RequestOptions & https.RequestOptions = {
      ...passed,
      host: where.host,
      port: where.port,
      socketPath: where.socketPath,
      path: where.path,
      headers,
      // No agent given: a connection of its own (an upgraded socket never goes back to a pool).
      agent: options.agent ?? (options.createConnection === undefined ? false : undefined),
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      servername: options.servername ?? (where.secure && isIP(where.host) === 0 ? where.host : undefined),
    };
    if (redirects > 0 && target.listenerCount('redirect') === 0) {
      // As ws (and curl): credentials do not follow a redirect to another host, or from wss: to ws:;
      // a 'redirect' listener decides for itself.
      const sameHost = where.origin === firstTarget.origin;
      if (!sameHost || (firstTarget.secure && !where.secure)) {
        for (const name of Object.keys(headers)) {
          const lower = name.toLowerCase();
          if (lower === 'authorization' || lower === 'cookie' || (!sameHost && lower === 'host')) delete headers[name];
        }
        delete request_.auth;
      }
    }
    request = (where.secure ? https : http).request(request_);
    if (redirects > 0) {
      callbacks.redirected(url.href);
      target.emit('redirect', url.href, request);
    }
    const current = request;
    request.on('error', (error) => {
      if (current === request) fail(error);
    });
    request.on('response', (response: http.IncomingMessage) => {
      if (settled || current !== request) return;
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (followRedirects && location !== undefined && status >= 300 && status < 400) {
        response.resume();
        if (++redirects > maxRedirects)
          return fail(new WebSocketError(ErrorCode.BadUpgradeResponse, 'Maximum redirects exceeded', { status }));
        let next: URL;
        try {
          next = parseWebSocketUrl(location, url);
        } catch (error) {
          return fail(error as Error);
        }
        current.destroy();
        return send(next);
      }
      // With a listener the application reads the answer (status, headers, body) and ends the attempt itself.
      if (target.emit('unexpected-response', current, response)) return;
      response.resume();
      fail(new WebSocketError(ErrorCode.BadUpgradeResponse, `Unexpected server response: ${status}`, { status }));
    });
    request.on('upgrade', (response: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (settled || current !== request) {
        socket.destroy();
        return;
      }
      target.emit('upgrade', response);
      // The application may have closed the connection from an 'upgrade' listener.
      if (settled) {
        socket.destroy();
        return;
      }
      let protocol: string;
      let extensions: string;
      let agreement: DeflateAgreement | undefined;
      try {
        const result = verifyUpgradeResponse(response.statusCode ?? 0, response.headers, {
          key,
          protocols: offeredProtocols,
        });
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
      callbacks.open({ role: 'client', socket, head, protocol, extensions, settings, deflate: agreement });
    });
    if (options.finishRequest !== undefined) options.finishRequest(request, target);
    else request.end();
  };
  send(first);

  return { url: first.href, abort: fail };
}
