import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { describe, test } from 'node:test';
import {
  ErrorCode,
  WEBSOCKET_GUID,
  WebSocketError,
  acceptResponse,
  computeAcceptKey,
  parseProtocolList,
  parseUpgradeRequest,
  rejectResponse,
  requestOrigin,
  type HeaderMap,
} from '../../src/protocol/index.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The headers of the RFC 6455 §1.3 example request, as Node's parser presents them (lower-case names). */
function requestHeaders(overrides: Record<string, string | string[] | undefined> = {}): HeaderMap {
  const headers: Record<string, string | string[] | undefined> = {
    host: 'server.example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    ...overrides,
  };
  for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
  return headers;
}

function rejection(method: string, version: string, headers: HeaderMap): WebSocketError {
  try {
    parseUpgradeRequest(method, version, headers);
  } catch (error) {
    assert.ok(error instanceof WebSocketError, `expected a WebSocketError, got ${String(error)}`);
    return error;
  }
  assert.fail('the request was accepted');
}

function assertBadRequest(method: string, version: string, headers: HeaderMap): void {
  const error = rejection(method, version, headers);
  assert.equal(error.code, ErrorCode.BadUpgradeRequest);
  assert.equal(error.status, 400);
}

/** Parses the head of an HTTP response written as a string. */
function parseResponse(response: string): { status: number; headers: Map<string, string[]>; body: string } {
  const end = response.indexOf('\r\n\r\n');
  assert.ok(end > 0, 'the head ends with an empty line');
  const [statusLine, ...lines] = response.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) [^\r\n]+$/.exec(statusLine!);
  assert.ok(match, `status line ${statusLine}`);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(match[1]), headers, body: response.slice(end + 4) };
}

describe('§4.2.2 Sec-WebSocket-Accept', () => {
  test('matches the RFC 6455 §1.3 example', () => {
    assert.equal(computeAcceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('is base64(SHA-1(key + GUID)) for other keys', () => {
    for (const key of ['AQIDBAUGBwgJCgsMDQ4PEA==', 'x3JJHMbDL1EzLkh9GBhXDw==', '++++++++++++++++++++++==']) {
      const expected = createHash('sha1')
        .update(key + WEBSOCKET_GUID)
        .digest('base64');
      assert.equal(computeAcceptKey(key), expected);
    }
  });
});

describe('§4.2.1 reading the client handshake', () => {
  test('accepts the RFC example request', () => {
    assert.deepEqual(parseUpgradeRequest('GET', '1.1', requestHeaders()), { key: KEY, protocols: [], extensions: [] });
  });

  test('accepts valid variations: token lists, any case, later HTTP versions, repeated headers, no content', () => {
    const variations: Record<string, string | string[]>[] = [
      { connection: 'keep-alive, Upgrade' },
      { connection: 'keep-alive,upgrade' },
      { connection: 'UPGRADE' },
      { connection: ['keep-alive', 'Upgrade'] },
      { upgrade: 'WebSocket' },
      { upgrade: 'h2c, websocket' },
      { upgrade: ['foo', 'websocket'] },
      { 'sec-websocket-version': ' 13 ' },
      { 'sec-websocket-key': ` ${KEY} ` },
      { 'content-length': '0' },
      { 'content-length': ['0', '00'] },
    ];
    for (const overrides of variations) {
      assert.equal(parseUpgradeRequest('GET', '1.1', requestHeaders(overrides)).key, KEY, JSON.stringify(overrides));
    }
    assert.equal(parseUpgradeRequest('GET', '2.0', requestHeaders()).key, KEY);
  });

  test('returns the offered subprotocols in order', () => {
    const request = parseUpgradeRequest(
      'GET',
      '1.1',
      requestHeaders({ 'sec-websocket-protocol': 'chat, superchat,v2.json' }),
    );
    assert.deepEqual(request.protocols, ['chat', 'superchat', 'v2.json']);
    const repeated = parseUpgradeRequest(
      'GET',
      '1.1',
      requestHeaders({ 'sec-websocket-protocol': ['chat', 'superchat'] }),
    );
    assert.deepEqual(repeated.protocols, ['chat', 'superchat']);
  });

  test('returns the offered extensions with their parameters', () => {
    const request = parseUpgradeRequest(
      'GET',
      '1.1',
      requestHeaders({
        'sec-websocket-extensions':
          'permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits="10"',
      }),
    );
    assert.deepEqual(request.extensions, [
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
      { name: 'permessage-deflate', params: [{ name: 'server_max_window_bits', value: '10' }] },
    ]);
  });

  for (const method of ['POST', 'get', 'HEAD', 'CONNECT']) {
    test(`method ${method} is a 405, in ws's words`, () => {
      const error = rejection(method, '1.1', requestHeaders());
      assert.equal(error.code, ErrorCode.BadUpgradeRequest);
      assert.equal(error.status, 405);
      assert.equal(error.message, 'Invalid HTTP method');
    });
  }

  test('the checks ws makes come first, in its order and words', () => {
    const messageOf = (headers: HeaderMap): string => rejection('GET', '1.1', headers).message;
    // Only a stray header: the Upgrade check speaks first (ws's), not the Host check (ours).
    assert.equal(messageOf({ foo: 'bar' }), 'Invalid Upgrade header');
    assert.equal(
      messageOf(requestHeaders({ 'sec-websocket-key': undefined, 'sec-websocket-version': undefined })),
      'Missing or invalid Sec-WebSocket-Key header',
    );
    assert.equal(
      messageOf(requestHeaders({ 'sec-websocket-version': undefined })),
      'Missing or invalid Sec-WebSocket-Version header',
    );
    assert.equal(
      messageOf(requestHeaders({ 'sec-websocket-version': '12' })),
      'Missing or invalid Sec-WebSocket-Version header',
    );
    assert.equal(
      messageOf(requestHeaders({ 'sec-websocket-protocol': 'a b' })),
      'Invalid Sec-WebSocket-Protocol header',
    );
    assert.equal(
      messageOf(requestHeaders({ 'sec-websocket-extensions': '; foo' })),
      'Invalid or unacceptable Sec-WebSocket-Extensions header',
    );
  });

  test('a 405 names the method allowed (RFC 9110 §15.5.6)', () => {
    assert.deepEqual(parseResponse(rejectResponse(405, 'Invalid HTTP method')).headers.get('allow'), ['GET']);
  });

  for (const version of ['1.0', '0.9', '', 'garbage', '1.x']) {
    test(`HTTP version "${version}" is a 400`, () => assertBadRequest('GET', version, requestHeaders()));
  }

  const malformed: [string, Record<string, string | string[] | undefined>][] = [
    ['a missing Host', { host: undefined }],
    ['an empty Host', { host: '' }],
    ['a missing Upgrade', { upgrade: undefined }],
    ['an Upgrade without websocket', { upgrade: 'h2c' }],
    ['an Upgrade with websocket as a substring only', { upgrade: 'websockets' }],
    ['a missing Connection', { connection: undefined }],
    ['a Connection without Upgrade', { connection: 'keep-alive' }],
    ['a Connection with Upgrade as a substring only', { connection: 'upgraded' }],
    ['a missing Sec-WebSocket-Version', { 'sec-websocket-version': undefined }],
    ['an empty Sec-WebSocket-Version', { 'sec-websocket-version': ' ' }],
    ['a missing key', { 'sec-websocket-key': undefined }],
    ['an empty key', { 'sec-websocket-key': '' }],
    ['a key of 15 bytes', { 'sec-websocket-key': Buffer.alloc(15, 1).toString('base64') }],
    ['a key of 17 bytes', { 'sec-websocket-key': Buffer.alloc(17, 1).toString('base64') }],
    ['a key without padding', { 'sec-websocket-key': KEY.slice(0, 22) }],
    ['a key in the URL-safe alphabet', { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZ-_==' }],
    ['a key with a character outside base64', { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZ!==' }],
    ['a key with a space inside', { 'sec-websocket-key': 'dGhlIHNhbXBs ZSBub25jZ==' }],
    ['two keys', { 'sec-websocket-key': [KEY, 'AQIDBAUGBwgJCgsMDQ4PEA=='] }],
    ['two keys joined by the HTTP parser', { 'sec-websocket-key': `${KEY}, AQIDBAUGBwgJCgsMDQ4PEA==` }],
    ['an empty protocol list', { 'sec-websocket-protocol': '' }],
    ['a protocol list with an empty element', { 'sec-websocket-protocol': 'chat,,superchat' }],
    ['a protocol that is not a token', { 'sec-websocket-protocol': 'chat room' }],
    ['a protocol with a separator', { 'sec-websocket-protocol': 'chat/1' }],
    ['a protocol offered twice', { 'sec-websocket-protocol': 'chat, chat' }],
    ['an extension list starting with a parameter', { 'sec-websocket-extensions': '; foo' }],
    ['an extension with an empty parameter', { 'sec-websocket-extensions': 'permessage-deflate;' }],
    [
      'an extension with an empty parameter value',
      { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits=' },
    ],
    ['an extension with an unterminated quote', { 'sec-websocket-extensions': 'permessage-deflate; a="10' }],
    ['an extension with a quoted non-token', { 'sec-websocket-extensions': 'permessage-deflate; a="1 0"' }],
    ['two extension names with no comma', { 'sec-websocket-extensions': 'permessage-deflate foo' }],
    ['an extension name that is not a token', { 'sec-websocket-extensions': 'perm@ssage' }],
    // RFC 9112 §6.1: the two framings together are how a request is smuggled past a proxy.
    ['Content-Length with Transfer-Encoding', { 'content-length': '0', 'transfer-encoding': 'chunked' }],
    ['a Transfer-Encoding', { 'transfer-encoding': 'chunked' }],
    ['an empty Transfer-Encoding', { 'transfer-encoding': '' }],
    ['a Content-Length announcing content', { 'content-length': '5' }],
    ['a Content-Length that is not a number', { 'content-length': 'zero' }],
    ['two Content-Lengths, one announcing content', { 'content-length': ['0', '5'] }],
  ];
  for (const [name, overrides] of malformed) {
    test(`${name} is a 400`, () => assertBadRequest('GET', '1.1', requestHeaders(overrides)));
  }

  test('Sec-WebSocket-Version "8" (the draft ws accepts too) is accepted, its origin read from Sec-WebSocket-Origin', () => {
    const headers = requestHeaders({
      'sec-websocket-version': '8',
      'sec-websocket-origin': 'https://draft.example',
      origin: undefined,
    });
    assert.equal(parseUpgradeRequest('GET', '1.1', headers).key, KEY);
    assert.equal(requestOrigin(headers), 'https://draft.example');
    assert.equal(
      requestOrigin(requestHeaders({ origin: 'https://app.example', 'sec-websocket-origin': 'https://other.example' })),
      'https://app.example',
    );
  });

  for (const version of ['7', '12', '14', '13, 8', 'thirteen']) {
    test(`Sec-WebSocket-Version "${version}" is a 426`, () => {
      const error = rejection('GET', '1.1', requestHeaders({ 'sec-websocket-version': version }));
      assert.equal(error.code, ErrorCode.UnsupportedVersion);
      assert.equal(error.status, 426);
    });
  }
});

describe('§4.2.2 the server response', () => {
  test('accepts with 101 and the accept key', () => {
    const response = acceptResponse(KEY);
    const { status, headers, body } = parseResponse(response);
    assert.equal(status, 101);
    assert.deepEqual(headers.get('upgrade'), ['websocket']);
    assert.deepEqual(headers.get('connection'), ['Upgrade']);
    assert.deepEqual(headers.get('sec-websocket-accept'), ['s3pPLMBiTxaQ9kYGzzhZRbK+xOo=']);
    assert.equal(headers.has('sec-websocket-protocol'), false);
    assert.equal(headers.has('sec-websocket-extensions'), false);
    assert.equal(body, '');
  });

  test('names the chosen subprotocol, the accepted extensions and extra headers', () => {
    const response = acceptResponse(KEY, {
      protocol: 'chat',
      extensions: [
        {
          name: 'permessage-deflate',
          params: [
            { name: 'server_no_context_takeover', value: true },
            { name: 'client_max_window_bits', value: '10' },
          ],
        },
      ],
      headers: { 'Set-Cookie': 'sid=1; HttpOnly', 'X-Served-By': 'edge-1' },
    });
    const { headers } = parseResponse(response);
    assert.deepEqual(headers.get('sec-websocket-protocol'), ['chat']);
    assert.deepEqual(headers.get('sec-websocket-extensions'), [
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=10',
    ]);
    assert.deepEqual(headers.get('set-cookie'), ['sid=1; HttpOnly']);
    assert.deepEqual(headers.get('x-served-by'), ['edge-1']);
  });

  test('an empty extension list adds no header', () => {
    assert.equal(parseResponse(acceptResponse(KEY, { extensions: [] })).headers.has('sec-websocket-extensions'), false);
  });

  for (const [name, headers] of [
    ['a CR LF in a value', { 'X-Evil': 'a\r\nSet-Cookie: stolen=1' }],
    ['a lone LF in a value', { 'X-Evil': 'a\nb' }],
    ['a lone CR in a value', { 'X-Evil': 'a\rb' }],
    ['a CR LF in a name', { 'X-Evil\r\nSet-Cookie': 'x' }],
    ['a space in a name', { 'X Evil': 'x' }],
    ['a colon in a name', { 'X-Evil:': 'x' }],
    ['an empty name', { '': 'x' }],
  ] as const) {
    test(`extra headers with ${name} throw instead of injecting headers`, () => {
      assert.throws(() => acceptResponse(KEY, { headers }), TypeError);
      assert.throws(() => rejectResponse(403, 'Forbidden', headers), TypeError);
    });
  }

  test('a subprotocol with a CR LF throws instead of injecting headers', () => {
    assert.throws(() => acceptResponse(KEY, { protocol: 'chat\r\nSet-Cookie: stolen=1' }), TypeError);
    assert.throws(() => acceptResponse(KEY, { protocol: 'two words' }), TypeError);
  });

  test('rejectResponse(426) carries Sec-WebSocket-Version: 13 (§4.4)', () => {
    const { status, headers, body } = parseResponse(rejectResponse(426));
    assert.equal(status, 426);
    assert.deepEqual(headers.get('sec-websocket-version'), ['13']);
    assert.deepEqual(headers.get('connection'), ['close']);
    assert.equal(body, 'Upgrade Required');
    assert.deepEqual(headers.get('content-length'), [String(Buffer.byteLength(body))]);
  });

  test('rejectResponse writes the status, a UTF-8 body with its byte length, and extra headers', () => {
    const { status, headers, body } = parseResponse(
      rejectResponse(401, 'authentification requise — réessayez', { 'WWW-Authenticate': 'Bearer' }),
    );
    assert.equal(status, 401);
    assert.equal(body, 'authentification requise — réessayez');
    assert.deepEqual(headers.get('content-length'), [String(Buffer.byteLength(body))]);
    assert.deepEqual(headers.get('www-authenticate'), ['Bearer']);
    assert.equal(headers.has('sec-websocket-version'), false);
    assert.deepEqual(headers.get('content-type'), ['text/plain; charset=utf-8']);
  });

  test('rejectResponse answers with the reason phrase Node (and so ws) gives every error status, and a generic one for unknown statuses', () => {
    for (const [code, phrase] of Object.entries(STATUS_CODES)) {
      if (Number(code) < 400) continue;
      const response = rejectResponse(Number(code));
      assert.ok(response.startsWith(`HTTP/1.1 ${code} ${phrase}\r\n`), response);
      assert.equal(parseResponse(response).body, phrase);
    }
    const unknown = rejectResponse(599);
    assert.ok(unknown.startsWith('HTTP/1.1 599 Error\r\n'));
    assert.equal(parseResponse(unknown).body, 'Error');
  });

  test("rejectResponse: a header given replaces ours of the same name, whatever its case, as ws's do", () => {
    const { headers } = parseResponse(
      rejectResponse(401, '{"error":"login"}', { 'content-type': 'application/json', CONNECTION: 'close' }),
    );
    assert.deepEqual(headers.get('content-type'), ['application/json']);
    assert.deepEqual(headers.get('connection'), ['close']);
    assert.deepEqual(
      parseResponse(rejectResponse(426, 'x', { 'sec-websocket-version': '13, 8' })).headers.get(
        'sec-websocket-version',
      ),
      ['13, 8'],
    );
  });

  test('parseProtocolList answers undefined for malformed lists', () => {
    assert.deepEqual(parseProtocolList('a, b ,c'), ['a', 'b', 'c']);
    assert.equal(parseProtocolList(''), undefined);
    assert.equal(parseProtocolList('a,'), undefined);
    assert.equal(parseProtocolList('a, a'), undefined);
    assert.equal(parseProtocolList('"a"'), undefined);
  });
});
