import type { IncomingMessage } from 'node:http';
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
