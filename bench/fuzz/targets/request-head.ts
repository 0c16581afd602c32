/**
 * The HTTP request-head parser (RFC 9112) and the upgrade checks after it (RFC 6455 §4.2.1).
 * Invariants: only `WebSocketError` is thrown; finding the head's end read by read (as the binding
 * does, passing the offset of the first new byte) answers as the whole does; a parsed head's
 * `length` is where its blank line ends; parsing is linear (see the time budget in the engine).
 */
import fc from 'fast-check';
import { WebSocketError, findHeadEnd, parseRequestHead, parseUpgradeRequest } from '../../../src/protocol/index.js';
import type { RequestHead } from '../../../src/protocol/index.js';
import type { Random } from '../random.js';
import { FuzzFailure, expectSame, ownErrorOrNothing, utf8, type FuzzTarget } from '../target.js';

const isWebSocketError = (error: unknown): boolean => error instanceof WebSocketError;
// A small limit, so that mutated heads of a few kilobytes reach the 431 answer.
const MAX_HEAD = 2048;

/** What `findHeadEnd` answers when called once per read, as a reader that keeps what it got does. */
function headEndReadByRead(input: Uint8Array, cuts: readonly number[]): number | string {
  try {
    for (const cut of [...cuts, input.length]) {
      const previous = cuts.filter((other) => other < cut).at(-1) ?? 0;
      const end = findHeadEnd(input.subarray(0, cut), previous);
      if (end >= 0) return end;
    }
    return -1;
  } catch (error) {
    if (!isWebSocketError(error)) throw error;
    return `error: ${(error as WebSocketError).message}`;
  }
}

function headEndWhole(input: Uint8Array): number | string {
  try {
    return findHeadEnd(input);
  } catch (error) {
    if (!isWebSocketError(error)) throw error;
    return `error: ${(error as WebSocketError).message}`;
  }
}

/** Node's `headers` shape from `rawHeaders`: names lower-cased, repeated fields joined as Node joins them. */
function headerMap(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    headers[name] = headers[name] === undefined ? rawHeaders[i + 1]! : `${headers[name]}, ${rawHeaders[i + 1]!}`;
  }
  return headers;
}

const UPGRADE = [
  'GET /chat?room=1 HTTP/1.1',
  'Host: example.com',
  'Upgrade: websocket',
  'Connection: keep-alive, Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
  'Sec-WebSocket-Protocol: chat, superchat',
  'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo; a="b"',
  'Origin: http://example.com',
];

const fieldName = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);

/** The request-head parser and the upgrade checks. */
export const requestHeadTarget: FuzzTarget = {
  name: 'request-head',
  description: 'the HTTP request-head parser, read by read, and the WebSocket upgrade checks',
  seeds(seed) {
    const handWritten = [
      `${UPGRADE.join('\r\n')}\r\n\r\n`,
      `${UPGRADE.slice(0, 6).join('\r\n')}\r\n\r\n\x81\x85`,
      'GET / HTTP/1.0\r\nHost: a\r\n\r\n',
      'POST /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: 2\r\n\r\n40',
    ];
    const sampled = fc
      .sample(fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 8 }), { numRuns: 20, seed })
      .map((fields) => fields.map(([name, value]) => `${name}: ${value}\r\n`).join(''))
      .map((extra) => `${UPGRADE.join('\r\n')}\r\n${extra}\r\n`);
    return [...handWritten, ...sampled].map(utf8);
  },
  check(input: Uint8Array, random: Random) {
    expectSame(headEndReadByRead(input, random.cuts(input.length, 6)), headEndWhole(input), 'findHeadEnd read by read');
    let head: RequestHead | undefined;
    ownErrorOrNothing(() => {
      head = parseRequestHead(input, MAX_HEAD);
    }, isWebSocketError);
    if (head === undefined) return;
    const end = headEndWhole(input);
    if (head.length !== end) {
      throw new FuzzFailure(`head.length ${head.length} but the blank line ends at ${String(end)}`);
    }
    const { method, versionMajor, versionMinor, rawHeaders } = head;
    const version = `${versionMajor}.${versionMinor}`;
    ownErrorOrNothing(() => parseUpgradeRequest(method, version, headerMap(rawHeaders)), isWebSocketError);
  },
};
