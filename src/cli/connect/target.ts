import type { ParseArgsConfig } from 'node:util';
import { isToken } from '../../protocol/index.js';
import { ErrorCode, WebSocketError, type WebSocketOptions } from '../../ws/index.js';
import { UsageError } from '../command.js';
import { parseDuration } from './duration.js';
import { TLS_CLIENT_OPTIONS, tlsSocketOptionsFor } from './tls-options.js';

/** The Engine.IO path the official server and ours listen on by default. */
export const DEFAULT_SOCKET_IO_PATH = '/socket.io/';

/**
 * Parses the URL argument of `connect` and `load`: `ws:`, `wss:`, `http:` or `https:`; a bare
 * `host:port/path` is taken as `ws://host:port/path`, as users type it.
 */
export function parseTargetUrl(text: string | undefined): URL {
  if (text === undefined) throw new UsageError('a URL is required, such as ws://localhost:8080/');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `ws://${text}`;
  const url = URL.canParse(withScheme) ? new URL(withScheme) : undefined;
  if (url === undefined || !['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol) || url.hostname === '') {
    throw new UsageError(`"${text}" is not a WebSocket URL: use ws://host:port/path (or wss://, http://, https://)`);
  }
  if (url.hash !== '') throw new UsageError(`a WebSocket URL has no #fragment, got "${text}"`);
  return url;
}

/** The URL to show the user: without the password it may carry. */
export function shownUrl(url: URL): string {
  if (url.password === '') return url.href;
  const shown = new URL(url);
  shown.password = '***';
  return shown.href;
}

/** Parses `-H "Name: value"` headers into a dictionary; a later header of the same name wins. */
function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    if (!isToken(name)) throw new UsageError(`-H takes "Name: value", got "${line}"`);
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Checks `--auth user:password`; the password may itself hold colons, the user may not. */
function parseAuth(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^[^:]+:/.test(text)) throw new UsageError(`--auth takes user:password, got "${text}"`);
  return text;
}

/** The `parseArgs` options that `connect` and `load` both take (each adds its own `--timeout` default). */
export const TARGET_OPTIONS = {
  header: { type: 'string', short: 'H', multiple: true, default: [] as string[] },
  auth: { type: 'string' },
  subprotocol: { type: 'string', short: 's', multiple: true, default: [] as string[] },
  ...TLS_CLIENT_OPTIONS,
  sio: { type: 'boolean', default: false },
  path: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** What {@link parseTarget} reads: the values of {@link TARGET_OPTIONS} and `--timeout`. */
export interface TargetValues {
  readonly header: readonly string[];
  readonly auth?: string;
  readonly subprotocol: readonly string[];
  readonly ca?: string;
  readonly insecure: boolean;
  readonly sio: boolean;
  readonly path?: string;
  readonly timeout: string;
}

/** Where a client command connects, checked: how long to wait, and the WebSocket options for it. */
export interface Target {
  /** The URL as the user meant it, with `ws://` assumed when no scheme was given. */
  readonly url: URL;
  /** The Engine.IO path (`--path`, or the default). */
  readonly enginePath: string;
  /** `--timeout`, in milliseconds. */
  readonly timeoutMs: number;
  /** Headers (`-H`), Basic credentials (`--auth`), handshake timeout and TLS checks, for every connection. */
  readonly socketOptions: WebSocketOptions;
}

/**
 * Checks the URL argument and the options {@link TARGET_OPTIONS} defines, the same way for each
 * client command (`command` names it in messages).
 *
 * @throws UsageError for a missing or second URL, a bad value, or an option of the other protocol.
 */
export function parseTarget(command: string, positionals: readonly string[], values: TargetValues): Target {
  if (positionals.length > 1) throw new UsageError(`${command} takes one URL, got ${positionals.join(' ')}`);
  const url = parseTargetUrl(positionals[0]);
  if (values.sio && values.subprotocol.length > 0) {
    throw new UsageError('--subprotocol is for bare WebSockets; Socket.IO does not negotiate one');
  }
  if (!values.sio && values.path !== undefined) throw new UsageError('--path is the Socket.IO path: add --sio');
  const timeoutMs = parseDuration('--timeout', values.timeout, 's');
  if (timeoutMs === 0) throw new UsageError('--timeout must be more than 0');
  const headers = parseHeaders(values.header);
  const auth = parseAuth(values.auth);
  return {
    url,
    enginePath: parseEnginePath(values.path ?? DEFAULT_SOCKET_IO_PATH),
    timeoutMs,
    socketOptions: {
      headers,
      handshakeTimeout: timeoutMs,
      ...(auth === undefined ? {} : { auth }),
      ...tlsSocketOptionsFor(url, values),
    },
  };
}

/**
 * The WebSocket URL of an Engine.IO v4 session opened directly over WebSocket (Engine.IO protocol
 * v4, "Transports") on the server `url` names, with the user's query parameters kept. The URL's path
 * names the Socket.IO namespace, as `io(url)` takes it, so it is not part of the address.
 */
export function engineUrl(url: URL, path: string): URL {
  const address = new URL(url);
  address.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  address.pathname = path;
  address.searchParams.set('EIO', '4');
  address.searchParams.set('transport', 'websocket');
  return address;
}

/** The Socket.IO namespace the path of `url` names: `/` for none. */
export function namespaceOf(url: URL): string {
  const path = decodeURIComponent(url.pathname).replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

/** Checks `--path`: an absolute path; a trailing slash is added as the official client does. */
function parseEnginePath(text: string): string {
  if (!text.startsWith('/') || /[?#\s]/.test(text))
    throw new UsageError(`--path must be a path like /socket.io/, got "${text}"`);
  return text.endsWith('/') ? text : `${text}/`;
}

/** Says in a few words why a connection could not be opened, for the message the user reads. */
export function connectFailure(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running on that port?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'the server reset the connection';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      if (error instanceof WebSocketError && error.code === ErrorCode.BadUpgradeResponse) {
        return `${error.message} (the server did not accept a WebSocket there)`;
      }
      return error.message;
  }
}
