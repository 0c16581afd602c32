import { toBase64 } from './base64.js';
import { ErrorCode, WebSocketError } from './errors.js';
import { INVALID_EXTENSIONS_HEADER } from './extension.js';
import {
  formatExtensionList,
  headerValue,
  isToken,
  listHasToken,
  parseExtensionList,
  type ExtensionElement,
  type HeaderMap,
} from './header-values.js';
import { reasonPhrase } from './status-text.js';
import { sha1 } from './sha1.js';

/** The GUID every server appends to the client's key (RFC 6455 §1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The protocol version this implementation speaks (RFC 6455 §4.1). */
export const WEBSOCKET_VERSION = '13';

/**
 * Version 8 (draft-ietf-hybi-thewebsocketprotocol-08), which servers accept beside 13 as `ws`
 * does: its frames, masking, close codes and accept key are RFC 6455's; only its origin header is
 * named `Sec-WebSocket-Origin` (see {@link requestOrigin}). No browser sends it; a 426 still
 * advertises 13 alone, the version clients should speak.
 */
const DRAFT_VERSION = '8';

const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;
const textEncoder = new TextEncoder();

/**
 * `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64 of the SHA-1 of key + GUID
 * (RFC 6455 §4.2.2 step 5.4).
 *
 * @example
 * computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='); // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 */
export function computeAcceptKey(key: string): string {
  return toBase64(sha1(textEncoder.encode(key + WEBSOCKET_GUID)));
}

/** A client's key: base64 of 16 random bytes, which the caller supplies (RFC 6455 §4.1). */
export function createClientKey(random16: Uint8Array): string {
  if (random16.length !== 16) throw new RangeError('a WebSocket key is made of exactly 16 random bytes');
  return toBase64(random16);
}

/** What a valid upgrade request asks for. */
export interface UpgradeRequest {
  readonly key: string;
  /** Subprotocols the client offers, in its order of preference. */
  readonly protocols: readonly string[];
  /** Extensions the client offers, in its order of preference. */
  readonly extensions: readonly ExtensionElement[];
}

function badRequest(message: string): WebSocketError {
  return new WebSocketError(ErrorCode.BadUpgradeRequest, message);
}

/**
 * Parses a comma list of subprotocol tokens; `undefined` if it is malformed or names one twice.
 * Used for both sides' `Sec-WebSocket-Protocol`.
 */
export function parseProtocolList(value: string): string[] | undefined {
  const protocols = value.split(',').map((element) => element.trim());
  if (protocols.some((protocol) => !isToken(protocol))) return undefined;
  if (new Set(protocols).size !== protocols.length) return undefined;
  return protocols;
}

const NO_CONTENT_LENGTH = /^0+(?:[ \t]*,[ \t]*0+)*$/;

/**
 * Refuses an upgrade request that announces content. The bytes after its head are the client's
 * first frames (RFC 6455 §4.2.1 asks for a GET, and no client sends content with it); a request
 * that also announces content lets a proxy and a server disagree on where the request ends, which
 * is how one request is smuggled inside another. `Content-Length` with `Transfer-Encoding` is the
 * classic case, which RFC 9112 §6.1 lets a server refuse; a `Content-Length` of 0 announces
 * nothing and is accepted.
 */
function refuseContent(headers: HeaderMap): void {
  const contentLength = headerValue(headers, 'content-length');
  const transferEncoding = headerValue(headers, 'transfer-encoding');
  if (transferEncoding !== undefined && contentLength !== undefined) {
    throw badRequest('Content-Length together with Transfer-Encoding (RFC 9112 §6.1)');
  }
  if (transferEncoding !== undefined) throw badRequest('an upgrade request cannot carry content (Transfer-Encoding)');
  if (contentLength !== undefined && !NO_CONTENT_LENGTH.test(contentLength.trim())) {
    throw badRequest('an upgrade request cannot carry content (Content-Length other than 0)');
  }
}

/**
 * The origin a handshake declares: `Origin` (RFC 6455 §4.1), or `Sec-WebSocket-Origin` for a
 * version 8 request (the draft's name for it).
 */
export function requestOrigin(headers: HeaderMap): string | undefined {
  const draft = headerValue(headers, 'sec-websocket-version')?.trim() === DRAFT_VERSION;
  return headerValue(headers, draft ? 'sec-websocket-origin' : 'origin');
}

/**
 * Validates an opening handshake on the server side (RFC 6455 §4.2.1) and returns what it asks
 * for. Versions 13 and 8 are accepted (see {@link DRAFT_VERSION}). Throws a `WebSocketError` whose
 * `status` is 405 for a method other than GET, 426 for an unsupported version (to be answered
 * with `Sec-WebSocket-Version: 13`) and 400 for anything else that is not a valid upgrade,
 * including a request that announces content (`Transfer-Encoding`, or a `Content-Length` other
 * than 0).
 */
export function parseUpgradeRequest(method: string, httpVersion: string, headers: HeaderMap): UpgradeRequest {
  // ws's checks come first, in ws's order and words, so that a request both refuse gets the same answer.
  if (method !== 'GET') throw new WebSocketError(ErrorCode.BadUpgradeRequest, 'Invalid HTTP method', { status: 405 });
  if (!listHasToken(headerValue(headers, 'upgrade'), 'websocket')) throw badRequest('Invalid Upgrade header');
  const key = headerValue(headers, 'sec-websocket-key')?.trim();
  if (key === undefined || !KEY_PATTERN.test(key)) throw badRequest('Missing or invalid Sec-WebSocket-Key header');
  const version = headerValue(headers, 'sec-websocket-version')?.trim();
  if (version === undefined || version === '') throw badRequest('Missing or invalid Sec-WebSocket-Version header');
  if (version !== WEBSOCKET_VERSION && version !== DRAFT_VERSION) {
    // §4.4: 426 with the version we speak (rejectResponse adds it); ws answers 400.
    throw new WebSocketError(ErrorCode.UnsupportedVersion, 'Missing or invalid Sec-WebSocket-Version header');
  }

  // RFC 6455 §4.2.1 asks for these too; ws does not check them.
  const [major = 0, minor = 0] = httpVersion.split('.').map(Number);
  // Written as "not at least 1.1" so that a version that is not a number (NaN) is refused too.
  if (!(major > 1 || (major === 1 && minor >= 1))) throw badRequest('HTTP/1.1 or later is required');
  refuseContent(headers);
  if (!headerValue(headers, 'host')) throw badRequest('Missing Host header');
  if (!listHasToken(headerValue(headers, 'connection'), 'upgrade')) throw badRequest('Invalid Connection header');

  let protocols: string[] = [];
  const protocolHeader = headerValue(headers, 'sec-websocket-protocol');
  if (protocolHeader !== undefined) {
    const parsed = parseProtocolList(protocolHeader);
    if (parsed === undefined) throw badRequest('Invalid Sec-WebSocket-Protocol header');
    protocols = parsed;
  }

  let extensions: ExtensionElement[] = [];
  const extensionHeader = headerValue(headers, 'sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensionList(extensionHeader);
    if (parsed === undefined) throw badRequest('Invalid or unacceptable Sec-WebSocket-Extensions header');
    extensions = parsed;
  }
  return { key, protocols, extensions };
}

function headerLines(headers: Readonly<Record<string, string>> | undefined): string {
  let lines = '';
  if (headers === undefined) return lines;
  for (const [name, value] of Object.entries(headers)) {
    // A CR or LF would let a value start a header or body of its own.
    if (!isToken(name) || /[\r\n]/.test(value)) throw new TypeError(`invalid response header ${JSON.stringify(name)}`);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

/** What the server accepts in its 101 response. */
export interface AcceptOptions {
  readonly protocol?: string | undefined;
  readonly extensions?: readonly ExtensionElement[] | undefined;
  /** Extra response headers, e.g. `Set-Cookie`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * The status line and header lines of the server's `101 Switching Protocols` response (RFC 6455
 * §4.2.2 step 5), without line ends: for hosts that let the application add lines before the
 * response is written (`ws`'s `'headers'` event). `options.headers` is not used here.
 */
export function acceptResponseLines(key: string, options: AcceptOptions = {}): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${computeAcceptKey(key)}`,
  ];
  if (options.protocol) {
    // The protocol may come from application code (a `handleProtocols` hook): a CR or LF in it would inject headers.
    if (!isToken(options.protocol)) throw new TypeError(`invalid subprotocol ${JSON.stringify(options.protocol)}`);
    lines.push(`Sec-WebSocket-Protocol: ${options.protocol}`);
  }
  if (options.extensions && options.extensions.length > 0) {
    lines.push(`Sec-WebSocket-Extensions: ${formatExtensionList(options.extensions)}`);
  }
  return lines;
}

/** The server's `101 Switching Protocols` response (RFC 6455 §4.2.2 step 5), as the bytes to write. */
export function acceptResponse(key: string, options: AcceptOptions = {}): string {
  return acceptResponseLines(key, options).join('\r\n') + '\r\n' + headerLines(options.headers) + '\r\n';
}

/**
 * An HTTP error response that refuses a handshake and closes the connection: `message` (by
 * default the status's reason phrase, as `ws` answers) as a plain-text body. A 426 carries the
 * version this server speaks (RFC 6455 §4.4), a 405 the method allowed (RFC 9110 §15.5.6).
 * `headers` are added, and as in `ws` replace ours of the same name (names compare
 * case-insensitively, RFC 9110 §5.1); a name that is not a token or a value holding a CR or LF
 * throws a `TypeError`.
 */
export function rejectResponse(
  status: number,
  message = reasonPhrase(status),
  headers?: Readonly<Record<string, string>>,
): string {
  const fields: Record<string, string> = {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(textEncoder.encode(message).length),
  };
  if (status === 426) fields['Sec-WebSocket-Version'] = WEBSOCKET_VERSION;
  else if (status === 405) fields.Allow = 'GET';
  for (const name in headers) {
    const lower = name.toLowerCase();
    for (const ours in fields) if (ours.toLowerCase() === lower) delete fields[ours];
    fields[name] = headers[name]!;
  }
  return `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n` + headerLines(fields) + '\r\n' + message;
}

/** The headers of a client's opening handshake, beside the request line and `Host` the HTTP client writes. */
export function upgradeRequestHeaders(options: {
  readonly key: string;
  readonly protocols?: readonly string[];
  readonly extensions?: readonly ExtensionElement[];
}): Record<string, string> {
  const headers: Record<string, string> = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': options.key,
    'Sec-WebSocket-Version': WEBSOCKET_VERSION,
  };
  if (options.protocols && options.protocols.length > 0)
    headers['Sec-WebSocket-Protocol'] = options.protocols.join(', ');
  if (options.extensions && options.extensions.length > 0) {
    headers['Sec-WebSocket-Extensions'] = formatExtensionList(options.extensions);
  }
  return headers;
}

/** What a valid 101 response settles. */
export interface UpgradeResponse {
  /** The chosen subprotocol, `''` if none. */
  readonly protocol: string;
  /** The extensions the server accepted, in its order. */
  readonly extensions: readonly ExtensionElement[];
}

function badResponse(message: string): WebSocketError {
  return new WebSocketError(ErrorCode.BadUpgradeResponse, message);
}

/**
 * Checks the server's response to a client's handshake (RFC 6455 §4.1, "the client MUST fail
 * the WebSocket connection" list). Throws a `WebSocketError` with code `ERR_BAD_UPGRADE_RESPONSE`.
 */
export function verifyUpgradeResponse(
  statusCode: number,
  headers: HeaderMap,
  request: { readonly key: string; readonly protocols: readonly string[] },
): UpgradeResponse {
  // The messages are ws's own (its initAsClient), so code that matches on them ports unchanged.
  if (statusCode !== 101) throw badResponse(`Unexpected server response: ${statusCode}`);
  if (!listHasToken(headerValue(headers, 'upgrade'), 'websocket')) throw badResponse('Invalid Upgrade header');
  // ws does not check Connection; RFC 6455 §4.1 has the client fail without it.
  if (!listHasToken(headerValue(headers, 'connection'), 'upgrade')) throw badResponse('Invalid Connection header');
  if (headerValue(headers, 'sec-websocket-accept') !== computeAcceptKey(request.key)) {
    throw badResponse('Invalid Sec-WebSocket-Accept header');
  }

  const protocolHeader = headerValue(headers, 'sec-websocket-protocol');
  let protocol = '';
  if (protocolHeader !== undefined) {
    protocol = protocolHeader.trim();
    if (request.protocols.length === 0) throw badResponse('Server sent a subprotocol but none was requested');
    if (!request.protocols.includes(protocol)) throw badResponse('Server sent an invalid subprotocol');
  } else if (request.protocols.length > 0) {
    // As browsers do: offering subprotocols and getting none back fails the connection.
    throw badResponse('Server sent no subprotocol');
  }

  let extensions: ExtensionElement[] = [];
  const extensionHeader = headerValue(headers, 'sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensionList(extensionHeader);
    if (parsed === undefined) throw badResponse(INVALID_EXTENSIONS_HEADER);
    extensions = parsed;
  }
  return { protocol, extensions };
}
