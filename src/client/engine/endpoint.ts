/**
 * The URLs of an Engine.IO session: `…/socket.io/?<query>&EIO=4&transport=…&sid=…` (Engine.IO
 * protocol v4, "Transports"), over `http(s):` for polling and `ws(s):` for WebSocket.
 */
import { ENGINE_IO_PROTOCOL } from '../../protocol/engine-io/index.js';
import type { EngineSocketOptions, TransportName } from './types.js';

/** The query parameters the session writes itself; a user query naming one is refused. */
const RESERVED_QUERY = ['EIO', 'transport', 'sid'] as const;

const SECURE_SCHEME: Readonly<Record<string, boolean>> = { 'http:': false, 'ws:': false, 'https:': true, 'wss:': true };

let timestamps = 0;

/** Builds the request URLs of one session's transports. */
export class Endpoint {
  readonly #base: Readonly<Record<TransportName, string>>;
  readonly #timestampParam: string | undefined;

  /**
   * @throws TypeError for an origin that is not `http:`, `https:`, `ws:` or `wss:`, or a query
   * parameter the protocol reserves (`EIO`, `transport`, `sid`, and the timestamp parameter).
   */
  constructor(options: EngineSocketOptions) {
    const match = /^([a-z]+:)\/\/([^/?#]+)$/i.exec(options.origin.replace(/\/$/, ''));
    const secure = match === null ? undefined : SECURE_SCHEME[match[1]!.toLowerCase()];
    if (match === null || secure === undefined) {
      throw new TypeError(`origin must be an http:, https:, ws: or wss: URL without a path, not ${options.origin}`);
    }
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
    const host = match[2]!;
    const path = `${options.path}?${query}EIO=${ENGINE_IO_PROTOCOL}&transport=`;
    this.#base = {
      polling: `${secure ? 'https' : 'http'}://${host}${path}polling`,
      websocket: `${secure ? 'wss' : 'ws'}://${host}${path}websocket`,
    };
  }

  /** The URL of a WebSocket connection (of the handshake when `sid` is undefined, else of an upgrade). */
  websocket(sid: string | undefined): string {
    return sid === undefined ? this.#base.websocket : `${this.#base.websocket}&sid=${encodeURIComponent(sid)}`;
  }

  /** The URL of one polling request, with a fresh timestamp when `timestampRequests` is on (cache busting). */
  polling(sid: string | undefined): string {
    let url = sid === undefined ? this.#base.polling : `${this.#base.polling}&sid=${encodeURIComponent(sid)}`;
    if (this.#timestampParam !== undefined) {
      url += `&${encodeURIComponent(this.#timestampParam)}=${Date.now().toString(36)}.${(timestamps++).toString(36)}`;
    }
    return url;
  }
}
