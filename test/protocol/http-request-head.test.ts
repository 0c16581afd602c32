import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocketError, findHeadEnd, parseRequestHead } from '../../src/protocol/index.js';

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

/** Feeds `bytes` to {@link findHeadEnd} in `pieces`, as a reader does: the bytes so far, searched from the first new one. */
function feed(bytes: Uint8Array, pieces: readonly number[]): number {
  let received = 0;
  for (const piece of pieces) {
    const end = findHeadEnd(bytes.subarray(0, received + piece), received);
    if (end >= 0) return end;
    received += piece;
  }
  return -1;
}

function statusWhenFed(bytes: Uint8Array): number | undefined {
  try {
    feed(
      bytes,
      Array.from(bytes, () => 1),
    );
    return undefined;
  } catch (error) {
    assert.ok(error instanceof WebSocketError);
    return error.status;
  }
}

describe('RFC 9112 §2.1 the end of a request head, read as it arrives', () => {
  it('finds the blank line however the head is split, the split inside CRLF CRLF included', () => {
    const bytes = encode(`${VALID}\x81\x80`);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: VALID.length + 2, maxLength: VALID.length + 2 }),
        (pieces) => {
          assert.equal(feed(bytes, pieces), VALID.length);
        },
      ),
    );
  });

  it('does linear work for a head trickled one byte per read', () => {
    const head = encode(`GET / HTTP/1.1\r\nX-Pad: ${'a'.repeat(4000)}\r\n\r\n`);
    let reads = 0;
    // Counts every byte the search looks at, through every view of the head it is given.
    const counted = (view: Uint8Array): Uint8Array =>
      new Proxy(view, {
        get(target, property) {
          if (typeof property === 'string' && /^\d+$/.test(property)) reads++;
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    let end = -1;
    for (let received = 0; end < 0 && received < head.length; received++) {
      end = findHeadEnd(counted(head.subarray(0, received + 1)), received);
    }
    assert.equal(end, head.length);
    // Each new byte is looked at with at most the 3 before it; searching the whole head on every
    // read would look at about head.length² / 2 = 8 million bytes.
    assert.ok(reads <= 4 * head.length, `${reads} bytes looked at for a head of ${head.length}`);
  });

  const notHttp: [string, Uint8Array][] = [
    [
      'a TLS ClientHello (first byte 0x16)',
      Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03),
    ],
    ['a line ending in a bare LF', encode('GET / HTTP/1.1\nHost: x\n')],
    ['a bare LF after a CRLF line', encode('GET / HTTP/1.1\r\nHost: x\n')],
    ['a bare CR', encode('GET / HTTP/1.1\rHost: x\r\n')],
    ['a leading space', encode(' GET / HTTP/1.1\r\n')],
  ];
  for (const [name, bytes] of notHttp) {
    it(`refuses ${name} with 400 as soon as it arrives, before any blank line`, () => {
      assert.equal(statusWhenFed(bytes), 400);
      assert.equal(statusOf(new TextDecoder('latin1').decode(bytes)), 400);
    });
  }

  it('waits on a CR that is the last byte read: its LF may be next', () => {
    assert.equal(findHeadEnd(encode('GET / HTTP/1.1\r')), -1);
    assert.equal(findHeadEnd(encode('G')), -1);
    assert.equal(findHeadEnd(new Uint8Array(0)), -1);
  });

  it('leaves the bytes after the head alone: a bare LF there belongs to the next protocol', () => {
    assert.equal(findHeadEnd(encode(`${VALID}\n\r`)), VALID.length);
  });
});
