import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { AuthenticateHook, HandshakeRejection } from '../ws/index.js';

const refusal: HandshakeRejection = { status: 403, message: 'Origin not allowed' };

/**
 * A handshake check against cross-site WebSocket hijacking: a browser always sends `Origin`
 * (RFC 6455 §4.1, item 8; §10.2), and a page on another site must not reach the endpoint with the
 * visitor's network position (a server on 127.0.0.1 is reachable from any page the visitor opens).
 * Requests whose `Origin` names the host they were sent to pass, as do those from `allowed`
 * origins (for pages served elsewhere, or a proxy that rewrites `Host`). Requests without `Origin`
 * come from programs, not pages, and pass. Others get 403.
 *
 * @example
 * new WebSocketServer({ noServer: true, authenticate: sameOriginOr(['https://app.example.com']) });
 */
export function sameOriginOr(allowed: readonly string[] = []): AuthenticateHook {
  const extra = new Set(allowed.map((origin) => new URL(origin).origin));
  return (request: IncomingMessage) => {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      // "null" (a sandboxed frame, a file: page) and anything unparsable.
      return refusal;
    }
    if (extra.has(parsed.origin)) return true;
    const host = request.headers.host?.toLowerCase();
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host === host ? true : refusal;
  };
}

/** Whether a request names a host the server answers to. */
export type HostCheck = (request: IncomingMessage) => boolean;

/** The answer to a request whose `Host` is not allowed, page or WebSocket handshake alike. */
export const HOST_REFUSAL = {
  status: 403,
  message:
    'Host not allowed: name an IP address, localhost, or a host given with switchboard serve --allow-host <name>',
} as const satisfies HandshakeRejection;

/**
 * A check against DNS rebinding: a page on a site whose name the attacker later points at this
 * machine is same-origin with the server, so the `Origin` check lets it in; but its requests still
 * name the attacker's site in `Host`. Requests pass when `Host` is an IP address, `localhost` or a
 * name under `.localhost` (which resolve to this machine only, RFC 6761 §6.3), or one of `allowed`
 * (names without port). Requests without `Host` come from programs, not pages, and pass.
 *
 * @example
 * const hostAllowed = allowedHostsCheck(['chat.example.com']);
 * authenticate: allOf((request) => hostAllowed(request) || HOST_REFUSAL, sameOriginOr());
 */
export function allowedHostsCheck(allowed: readonly string[] = []): HostCheck {
  const names = new Set(allowed.map((name) => name.toLowerCase()));
  return (request: IncomingMessage) => {
    const host = request.headers.host;
    if (host === undefined) return true;
    let hostname: string;
    try {
      hostname = new URL(`http://${host}`).hostname;
    } catch {
      return false;
    }
    const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    return isIP(bare) !== 0 || bare === 'localhost' || bare.endsWith('.localhost') || names.has(bare);
  };
}
