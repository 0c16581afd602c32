/**
 * The URLs of an Engine.IO session: `…/socket.io/?<query>&EIO=4&transport=…&sid=…` (Engine.IO
 * protocol v4, "Transports"), over `http(s):` for polling and `ws(s):` for WebSocket.
 */
import { ENGINE_IO_PROTOCOL } from '../../protocol/engine-io/index.js';
import type { EngineSocketOptions, TransportName } from './types.js';

let timestamps = 0;

/**
 * What every URL of the session shares: `s://host/path/?query&EIO=4&transport=` (`s` for a secure
 * origin), to be prefixed with `ws` or `http` and followed by a transport name.
 * @throws TypeError for a query parameter the session sets itself (`EIO`, `transport`, `sid`, and
 * the timestamp parameter).
 */
export function endpointOf({ origin, path, query, timestampRequests, timestampParam }: EngineSocketOptions): string {
  let search = '';
  for (const [name, value] of Object.entries(query)) {
    if (['EIO', 'transport', 'sid'].includes(name) || (timestampRequests && name === timestampParam)) {
      throw new TypeError(
        `query parameter ${JSON.stringify(name)} is set by the Engine.IO client; choose another name`,
      );
    }
    search += `${encodeURIComponent(name)}=${encodeURIComponent(value)}&`;
  }
  // Joined rather than concatenated: a session keeps this string as long as it lives, and joining
  // makes one flat string where `+` would keep a tree of its pieces (and the origin it sliced).
  const secure = /^(https|wss):/.test(origin) ? 's' : '';
  return [
    secure,
    ':',
    origin.slice(origin.indexOf('//')),
    path,
    '?',
    search,
    `EIO=${ENGINE_IO_PROTOCOL}&transport=`,
  ].join('');
}

/** The URL of one request of `transport` to `endpoint`, in the session `sid` once there is one. */
export function requestUrl(endpoint: string, transport: TransportName, sid: string | undefined): string {
  const url = (transport === 'websocket' ? 'ws' : 'http') + endpoint + transport;
  return sid === undefined ? url : `${url}&sid=${encodeURIComponent(sid)}`;
}

/** `url` with a fresh timestamp when `timestampRequests` is on (cache busting of polling requests). */
export function timestamped(url: string, { timestampRequests, timestampParam }: EngineSocketOptions): string {
  return timestampRequests
    ? `${url}&${encodeURIComponent(timestampParam)}=${Date.now().toString(36)}.${(timestamps++).toString(36)}`
    : url;
}
