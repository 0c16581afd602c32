import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { requestOrigin } from '../protocol/index.js';

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

/** What a {@link VerifyClient} hook is told about an upgrade request, as `ws` tells it. */
export interface VerifyClientInfo {
  /** The request's `Origin` header (browsers always send it), or `Sec-WebSocket-Origin` for a version 8 request, as in `ws`. */
  origin: string | undefined;
  /** Whether the request came over TLS. */
  secure: boolean;
  req: IncomingMessage;
}

/** Answers a callback-form {@link VerifyClient}: refused with `code` (default 401), `message` and `headers` unless `result` is true. */
export type VerifyClientCallback = (
  result: boolean,
  code?: number,
  message?: string,
  headers?: OutgoingHttpHeaders,
) => void;

/**
 * `ws`'s access check, in either of its forms: `(info) => boolean` refuses with 401 when it answers
 * false, `(info, callback) => void` (a function declaring two parameters) answers through the
 * callback. A promise it returns is awaited (`ws` would take the promise itself for a yes), and a
 * hook that throws or rejects refuses with 500. Beside `authenticate`, both must accept.
 *
 * @example
 * verifyClient: ({ req }, done) => sessions.check(req.headers.cookie).then((ok) => done(ok, 403, 'Forbidden'))
 */
// One signature rather than a union of the two forms: TypeScript cannot type the parameters of an
// arrow function from a union whose members take different numbers of them. The result is
// `unknown` because the callback form may return anything (`setImmediate(done, true)`), as a
// `void` function may; the synchronous form's result is read as a yes or no.
export type VerifyClient = (info: VerifyClientInfo, callback: VerifyClientCallback) => unknown;

/** A verdict of the handshake checks: `true` to accept, else how to refuse. */
export type HandshakeVerdict = true | HandshakeRejection;

function refusal(
  code: number | undefined,
  message: string | undefined,
  headers: OutgoingHttpHeaders | undefined,
): HandshakeRejection {
  const rejection: HandshakeRejection = { status: code || 401 };
  // An empty message gets the status text, as `ws` answers.
  if (message) rejection.message = message;
  if (headers !== undefined) {
    rejection.headers = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) rejection.headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
  }
  return rejection;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs a `ws`-style {@link VerifyClient} on `request`: the verdict at once for the synchronous form,
 * or a promise of it (the callback form, or a returned promise; the first answer wins). A hook that
 * throws synchronously throws here.
 */
export function runVerifyClient(
  verifyClient: VerifyClient,
  request: IncomingMessage,
): HandshakeVerdict | Promise<HandshakeVerdict> {
  const socket = request.socket as Partial<TLSSocket> | null;
  const info: VerifyClientInfo = {
    origin: requestOrigin(request.headers),
    secure: Boolean(socket?.authorized || socket?.encrypted),
    req: request,
  };
  if (verifyClient.length === 2) {
    return new Promise<HandshakeVerdict>((resolve, reject) => {
      const answer: VerifyClientCallback = (result, code, message, headers) =>
        resolve(result ? true : refusal(code, message, headers));
      const returned = verifyClient(info, answer);
      // An async function in the callback form: its rejection refuses, as a throw does.
      if (isPromiseLike(returned)) returned.then(undefined, reject);
    });
  }
  // The synchronous form is given no callback: one it called anyway would be a bug, not an answer.
  const verdict = (verifyClient as (info: VerifyClientInfo) => unknown)(info);
  if (isPromiseLike(verdict))
    return Promise.resolve(verdict).then((accepted) => (accepted ? true : refusal(401, undefined, undefined)));
  return verdict ? true : refusal(401, undefined, undefined);
}

/**
 * Accepts only requests whose `Origin` is in `allowed` (exact strings, or patterns). Browsers always
 * send `Origin` on WebSocket handshakes, so this is the defence against cross-site WebSocket hijacking.
 *
 * @example
 * new WebSocketServer({ port: 8080, authenticate: allowOrigins(['https://app.example.com']) });
 */
export function allowOrigins(allowed: readonly (string | RegExp)[]): AuthenticateHook {
  return (request) => {
    const origin = requestOrigin(request.headers);
    if (
      origin !== undefined &&
      allowed.some((rule) => (typeof rule === 'string' ? rule === origin : rule.test(origin)))
    )
      return true;
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
  const challenge = {
    status: 401,
    message: 'Unauthorized',
    headers: { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` },
  };
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
