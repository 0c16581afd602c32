import { isToken } from '../../protocol/index.js';
import { ErrorCode, WebSocketError, type WebSocketOptions } from '../../ws/index.js';
import { UsageError } from '../command.js';

/** Where a client command connects, and the handshake options the user gave. */
export interface Target {
  /** The URL as the user meant it, with `ws://` assumed when no scheme was given. */
  readonly url: URL;
  /** Extra request headers from `-H`. */
  readonly headers: Readonly<Record<string, string>>;
  /** `user:password` for HTTP Basic authentication, from `--auth`. */
  readonly auth: string | undefined;
}

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
export function parseHeaders(lines: readonly string[]): Record<string, string> {
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
export function parseAuth(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^[^:]+:/.test(text)) throw new UsageError(`--auth takes user:password, got "${text}"`);
  return text;
}

/** The client options shared by every connection to `target`. */
export function clientOptions(target: Target, handshakeTimeout: number): WebSocketOptions {
  return {
    headers: { ...target.headers },
    handshakeTimeout,
    ...(target.auth === undefined ? {} : { auth: target.auth }),
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
export function parseEnginePath(text: string): string {
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
