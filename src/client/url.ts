import type { ClientPlatform } from './engine/types.js';

/**
 * Parses the URL given to `io()` as socket.io-client does: none means the page's origin, `//host`
 * takes the page's scheme, `/path` the page's host, and a URL without a scheme gets the page's
 * (`https:` outside a browser). Its `origin` (default port left out, so `http://h` and
 * `http://h:80` match) is where the Engine.IO requests go, its path the namespace.
 */
export function parseUrl(uri: string | undefined, location: ClientPlatform['pageLocation']): URL {
  let text = uri ?? '/';
  if (text.startsWith('/') && !text.startsWith('//')) {
    if (location === undefined) {
      throw new TypeError(
        uri === undefined
          ? 'io() needs the server URL outside a browser'
          : `io("${text}"): no page to resolve a path against; give the full URL`,
      );
    }
    text = location.host + text;
  }
  if (!/^(?:https?|wss?):\/\//i.test(text))
    text = `${location?.protocol ?? 'https:'}${text.startsWith('//') ? '' : '//'}${text}`;
  try {
    return new URL(text);
  } catch {
    throw new TypeError(`io(): "${uri}" is not a valid URL`);
  }
}
