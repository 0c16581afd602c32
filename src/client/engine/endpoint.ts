/**
 * The URLs of an Engine.IO session: `…/socket.io/?<query>&EIO=4&transport=…&sid=…` (Engine.IO
 * protocol v4, "Transports"), over `http(s):` for polling and `ws(s):` for WebSocket.
 */
import { ENGINE_IO_PROTOCOL } from '../../protocol/engine-io/index.js';
import type { EngineSocketOptions, TransportName } from './types.js';

/** The query parameters the session writes itself; a user query naming one is refused. */
const RESERVED_QUERY = ['EIO', 'transport', 'sid'] as const;

let timestamps = 0;

/** Builds the request URLs of one session's transports. */
export class Endpoint {
  /** `//host/path/?query&EIO=4&transport=`, to be prefixed with a scheme and followed by a transport name. */
  readonly #base: string;
  /** `s` for a secure connection (`https:`, `wss:`), empty otherwise. */
  readonly #secure: string;
  readonly #timestampParam: string | undefined;

  /**
   * `options.origin` is the Manager's, already an `http(s):` or `ws(s):` scheme and a host.
   * @throws TypeError for a query parameter the protocol reserves (`EIO`, `transport`, `sid`, and
   * the timestamp parameter).
   */
  constructor(options: EngineSocketOptions) {
    const origin = options.origin;
    this.#secure = /^(https|wss):/.test(origin) ? 's' : '';
    this.#timestampParam = options.timestampRequests ? options.timestampParam : undefined;
    let query = '';
    for (const [name, value] of Object.entries(options.query)) {
      if ((RESERVED_QUERY as readonly string[]).includes(name) || name === this.#timestampParam) {
        throw new TypeError(
          `query parameter ${JSON.stringify(name)} is set by the Engine.IO client; choose another name`,
        );
      }
      query += `${encodeURIComponent(name)}=${encodeURIComponent(value)}&`;
    }
    this.#base = `${origin.slice(origin.indexOf('//'))}${options.path}?${query}EIO=${ENGINE_IO_PROTOCOL}&transport=`;
  }

  /** The URL of a WebSocket connection (of the handshake when `sid` is undefined, else of an upgrade). */
  websocket(sid: string | undefined): string {
    return this.#url('ws', 'websocket', sid);
  }

  /** The URL of one polling request, with a fresh timestamp when `timestampRequests` is on (cache busting). */
  polling(sid: string | undefined): string {
    let url = this.#url('http', 'polling', sid);
    if (this.#timestampParam !== undefined) {
      url += `&${encodeURIComponent(this.#timestampParam)}=${Date.now().toString(36)}.${(timestamps++).toString(36)}`;
    }
    return url;
  }

  #url(scheme: string, transport: TransportName, sid: string | undefined): string {
    const url = `${scheme}${this.#secure}:${this.#base}${transport}`;
    return sid === undefined ? url : `${url}&sid=${encodeURIComponent(sid)}`;
  }
}
