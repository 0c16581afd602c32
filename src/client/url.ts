import type { ClientPlatform } from './engine/types.js';

/** What `io()` and `new Manager()` take from a server URL. */
export interface ParsedUrl {
  /** `http://host:port` (or https, ws, wss): where the Engine.IO requests go. */
  readonly origin: string;
  /** The namespace: the URL's path (`/` when it has none). */
  readonly namespace: string;
  /** The URL's query parameters. */
  readonly query: Readonly<Record<string, string>>;
  /** Scheme, host and port with the default port written out, so `http://h` and `http://h:80` match. */
  readonly server: string;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'ws:': '80', 'https:': '443', 'wss:': '443' };

/**
 * Parses the URL given to `io()` as socket.io-client does: none means the page's origin, `//host`
 * takes the page's scheme, `/path` the page's host, and a URL without a scheme gets the page's
 * (`https:` outside a browser).
 */
export function parseUrl(uri: string | undefined, location: ClientPlatform['pageLocation']): ParsedUrl {
  let text = uri;
  if (text === undefined) {
    if (location === undefined) {
      throw new TypeError('io() needs the server URL outside a browser, e.g. io("http://localhost:3000")');
    }
    text = `${location.protocol}//${location.host}`;
  } else if (text.startsWith('//')) {
    text = `${location?.protocol ?? 'https:'}${text}`;
  } else if (text.startsWith('/')) {
    if (location === undefined) {
      throw new TypeError(`io("${text}"): a path alone needs a page to be relative to; give the full URL`);
    }
    text = `${location.host}${text}`;
  }
  if (!/^(?:https?|wss?):\/\//i.test(text)) text = `${location?.protocol ?? 'https:'}//${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`io(): "${uri ?? text}" is not a valid URL`);
  }
  // The scheme is one of the table's (checked above), and such a URL's path is never empty: `/` at least.
  const port = url.port || DEFAULT_PORTS[url.protocol]!;
  return {
    origin: `${url.protocol}//${url.host}`,
    namespace: url.pathname,
    query: Object.fromEntries(url.searchParams),
    server: `${url.protocol}//${url.hostname}:${port}`,
  };
}
