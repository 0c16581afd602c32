import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocketError, parseRequestHead } from '../../src/protocol/index.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const VALID = 'GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nX-Empty:\r\n\r\n';

function statusOf(text: string, maxSize?: number): number | undefined {
  try {
    parseRequestHead(encode(text), maxSize);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof WebSocketError);
    return error.status;
  }
}

describe('RFC 9112 request head', () => {
  it('parses the request line and fields, and tells where the head ends', () => {
    const head = parseRequestHead(encode(`${VALID}\x81\x80`))!;
    assert.equal(head.method, 'GET');
    assert.equal(head.target, '/chat?room=1');
    assert.deepEqual([head.versionMajor, head.versionMinor], [1, 1]);
    assert.deepEqual(head.rawHeaders, ['Host', 'example.com', 'Upgrade', 'websocket', 'X-Empty', '']);
    assert.equal(head.length, VALID.length);
  });

  it('answers undefined until the empty line arrives, whatever the split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: VALID.length - 1 }), (cut) => {
        assert.equal(parseRequestHead(encode(VALID.slice(0, cut))), undefined);
      }),
    );
  });

  it('refuses a head larger than the limit with 431, complete or not', () => {
    assert.equal(statusOf(`GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}`, 64), 431);
    assert.equal(statusOf(`GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}\r\n\r\n`, 64), 431);
  });

  const malformed: [string, string][] = [
    ['a request line without a version', 'GET /\r\n\r\n'],
    ['a lower-case protocol name', 'GET / http/1.1\r\n\r\n'],
    ['a method that is not a token', 'G(T / HTTP/1.1\r\n\r\n'],
    ['space before the colon (§5.1)', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n'],
    ['a field without a colon', 'GET / HTTP/1.1\r\nHost\r\n\r\n'],
    ['obsolete line folding (§5.2)', 'GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n'],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n'],
    ['a bare LF inside a value', 'GET / HTTP/1.1\r\nX: a\nb\r\n\r\n'],
    ['a vertical tab around a value', 'GET / HTTP/1.1\r\nUpgrade: \x0bwebsocket\r\n\r\n'],
    ['a form feed around a value', 'GET / HTTP/1.1\r\nUpgrade: websocket\x0c\r\n\r\n'],
  ];

  it('trims only spaces and tabs around a value (RFC 9110 §5.6.3)', () => {
    // Field values are bytes, read as latin1: 0xA0 is NBSP, which stays.
    const head = parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nX-A: \t a b \t\r\nX-B:\xa0c\xa0\r\n\r\n', 'latin1'))!;
    assert.deepEqual(head.rawHeaders, ['X-A', 'a b', 'X-B', '\xa0c\xa0']);
  });
  for (const [name, text] of malformed) {
    it(`refuses ${name} with 400`, () => assert.equal(statusOf(text), 400));
  }

  it('never throws anything but a WebSocketError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseRequestHead(bytes, 256);
        } catch (error) {
          assert.ok(error instanceof WebSocketError);
        }
      }),
    );
  });
});
