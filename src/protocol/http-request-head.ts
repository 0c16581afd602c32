import { ErrorCode, WebSocketError } from './errors.js';
import { isToken } from './header-values.js';

/** An HTTP/1.x request head (RFC 9112 §3, §5): request line and header fields, as received. */
export interface RequestHead {
  readonly method: string;
  /** The request target, e.g. `/chat?room=1`. */
  readonly target: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Field names and values alternating, in arrival order, names as sent (Node's `rawHeaders` shape). */
  readonly rawHeaders: string[];
  /** Bytes the head took, its final empty line included; what follows belongs to the next protocol. */
  readonly length: number;
}

/** Default largest request head, as Node's HTTP server has it (`--max-http-header-size`). */
export const DEFAULT_MAX_HEAD_SIZE = 16 * 1024;

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\s]+) HTTP\/(\d)\.(\d)$/;
const latin1 = new TextDecoder('latin1');

const CR = 0x0d;
const LF = 0x0a;

function malformed(message: string): WebSocketError {
  return new WebSocketError(ErrorCode.BadUpgradeRequest, message);
}

/**
 * Looks for the end of a request head in `bytes`, reading only from `from` on (plus the 3 bytes
 * before it, so that a blank line split across reads is found): a reader that calls it once per
 * read, with `from` at the first new byte, does linear work however the head is split. Answers
 * the offset just past the head's blank line (RFC 9112 §2.1), or -1 while it has not arrived.
 *
 * Throws a 400 `WebSocketError` as soon as the bytes prove they are no HTTP/1.1 request head, so
 * that such a peer is answered at once instead of when the handshake times out: a first byte that
 * cannot start a method (a TLS ClientHello sent to a plain port starts with 0x16), or a line that
 * does not end in CRLF. RFC 9112 §2.2 lets a server accept a bare LF as a line ending, but we
 * refuse it (and a bare CR, which §2.2 forbids a recipient to take as one): a head that one
 * parser reads as two lines and another as one is how requests are smuggled past a proxy, and
 * every client that speaks WebSocket sends CRLF.
 */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  if (from === 0 && bytes.length > 0 && !isToken(String.fromCharCode(bytes[0]!))) {
    throw malformed('not an HTTP request: the first byte cannot start a method');
  }
  for (let i = Math.max(from, 1); i < bytes.length; i++) {
    const byte = bytes[i]!;
    const previous = bytes[i - 1]!;
    if (byte === LF) {
      if (previous !== CR) throw malformed('a line ends in a bare LF instead of CRLF');
      if (i >= 3 && bytes[i - 2] === LF && bytes[i - 3] === CR) return i + 1;
    } else if (previous === CR) {
      throw malformed('a bare CR in the request head');
    }
  }
  return -1;
}

/**
 * Parses a request head from the start of `bytes`. Answers `undefined` while the head is incomplete,
 * and throws a `WebSocketError` with status 431 when it passes `maxSize` bytes, or 400 when it does
 * not follow RFC 9112: what {@link findHeadEnd} refuses, a malformed request line, a field name
 * that is not a token or has space before its colon (§5.1), obsolete line folding (§5.2), or
 * control characters in a value.
 */
export function parseRequestHead(bytes: Uint8Array, maxSize = DEFAULT_MAX_HEAD_SIZE): RequestHead | undefined {
  const end = findHeadEnd(bytes.length > maxSize ? bytes.subarray(0, maxSize) : bytes);
  if (end < 0) {
    if (bytes.length >= maxSize)
      throw new WebSocketError(ErrorCode.BadUpgradeRequest, 'request head too large', { status: 431 });
    return undefined;
  }
  const lines = latin1.decode(bytes.subarray(0, end - 4)).split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0]!);
  if (requestLine === null) throw malformed('malformed request line');
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(' ') || line.startsWith('\t')) throw malformed('obsolete line folding');
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!isToken(name)) throw malformed(`malformed header field ${JSON.stringify(line.slice(0, 40))}`);
    // Optional whitespace is SP and HTAB only (RFC 9110 §5.6.3): `trim()` would also drop VT, FF
    // and NBSP, letting control characters through unchecked.
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    // NUL to US except HTAB, and DEL, may not appear in a field value (RFC 9110 §5.5).
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw malformed(`control character in header ${name}`);
    rawHeaders.push(name, value);
  }
  return {
    method: requestLine[1]!,
    target: requestLine[2]!,
    versionMajor: Number(requestLine[3]),
    versionMinor: Number(requestLine[4]),
    rawHeaders,
    length: end,
  };
}
