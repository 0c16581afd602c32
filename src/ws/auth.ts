import type { IncomingMessage } from 'node:http';

/** A refusal: the HTTP status to answer the upgrade request with, an optional message and headers. */
export interface HandshakeRejection {
  status: number;
  message?: string;
  headers?: Record<string, string>;
}

/**
 * Decides whether an upgrade request may become a WebSocket: resolve to `true` (or nothing) to
 * accept, or to a {@link HandshakeRejection} to refuse with that HTTP status. It may attach what it
 * learns (a user id, say) to the request, which the `'connection'` listener receives.
 */
export type AuthenticateHook = (
  request: IncomingMessage,
) => boolean | void | HandshakeRejection | Promise<boolean | void | HandshakeRejection>;

/**
 * Accepts only requests whose `Origin` is in `allowed` (exact strings, or patterns). Browsers always
 * send `Origin` on WebSocket handshakes, so this is the defence against cross-site WebSocket hijacking.
 *
 * @example
 * new WebSocketServer({ port: 8080, authenticate: allowOrigins(['https://app.example.com']) });
 */
export function allowOrigins(allowed: readonly (string | RegExp)[]): AuthenticateHook {
  return (request) => {
    const origin = request.headers.origin;
    if (origin !== undefined && allowed.some((rule) => (typeof rule === 'string' ? rule === origin : rule.test(origin)))) return true;
    return { status: 403, message: 'Origin not allowed' };
  };
}

/**
 * Checks HTTP Basic credentials (RFC 7617), as a browser sends them for `ws://user:pass@host/` URLs;
 * answers 401 with a `WWW-Authenticate` challenge otherwise.
 *
 * @example
 * authenticate: basicAuth((user, password) => user === 'admin' && password === process.env.PASSWORD)
 */
export function basicAuth(
  verify: (user: string, password: string, request: IncomingMessage) => boolean | Promise<boolean>,
  realm = 'switchboard',
): AuthenticateHook {
  const challenge = { status: 401, message: 'Unauthorized', headers: { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` } };
  return async (request) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) return challenge;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return challenge;
    return (await verify(decoded.slice(0, colon), decoded.slice(colon + 1), request)) ? true : challenge;
  };
}

/**
 * Checks a bearer token (RFC 6750) from the `Authorization` header or, since browsers cannot set
 * headers on a WebSocket, from a query parameter; answers 401 otherwise.
 *
 * @example
 * authenticate: bearerToken(async (token) => sessions.has(token), { queryParameter: 'token' })
 */
export function bearerToken(
  verify: (token: string, request: IncomingMessage) => boolean | Promise<boolean>,
  options: { queryParameter?: string } = {},
): AuthenticateHook {
  const challenge = { status: 401, message: 'Unauthorized', headers: { 'WWW-Authenticate': 'Bearer' } };
  return async (request) => {
    let token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined && options.queryParameter !== undefined) {
      token = new URL(request.url ?? '/', 'http://localhost').searchParams.get(options.queryParameter) ?? undefined;
    }
    if (token === undefined || token === '') return challenge;
    return (await verify(token, request)) ? true : challenge;
  };
}

/** Runs hooks in order; the first refusal wins. */
export function allOf(...hooks: AuthenticateHook[]): AuthenticateHook {
  return async (request) => {
    for (const hook of hooks) {
      const verdict = await hook(request);
      if (verdict === false || (typeof verdict === 'object' && verdict !== null)) return verdict;
    }
    return true;
  };
}
