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

function headEnd(bytes: Uint8Array): number {
  // The head ends at the first CRLF CRLF (RFC 9112 §2.1).
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i] === 0x0a && bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a && bytes[i - 3] === 0x0d) return i + 1;
  }
  return -1;
}

function malformed(message: string): WebSocketError {
  return new WebSocketError(ErrorCode.BadUpgradeRequest, message);
}

/**
 * Parses a request head from the start of `bytes`. Answers `undefined` while the head is incomplete,
 * and throws a `WebSocketError` with status 431 when it passes `maxSize` bytes, or 400 when it does
 * not follow RFC 9112: a malformed request line, a field name that is not a token or has space
 * before its colon (§5.1), obsolete line folding (§5.2), or control characters in a value.
 */
export function parseRequestHead(bytes: Uint8Array, maxSize = DEFAULT_MAX_HEAD_SIZE): RequestHead | undefined {
  const end = headEnd(bytes.length > maxSize ? bytes.subarray(0, maxSize) : bytes);
  if (end < 0) {
    if (bytes.length >= maxSize) throw new WebSocketError(ErrorCode.BadUpgradeRequest, 'request head too large', { status: 431 });
    return undefined;
  }
  const lines = latin1.decode(bytes.subarray(0, end - 4)).split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0]!);
  if (requestLine === null) throw malformed('malformed request line');
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line[0] === ' ' || line[0] === '\t') throw malformed('obsolete line folding');
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
