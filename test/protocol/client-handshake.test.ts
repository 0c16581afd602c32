import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ErrorCode,
  WebSocketError,
  computeAcceptKey,
  createClientKey,
  parseUpgradeRequest,
  upgradeRequestHeaders,
  verifyUpgradeResponse,
  type HeaderMap,
} from '../../src/protocol/index.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function responseHeaders(overrides: Record<string, string | string[] | undefined> = {}): HeaderMap {
  const headers: Record<string, string | string[] | undefined> = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': ACCEPT,
    ...overrides,
  };
  for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
  return headers;
}

function assertBadResponse(
  status: number,
  headers: HeaderMap,
  protocols: readonly string[] = [],
  pattern?: RegExp,
): void {
  assert.throws(
    () => verifyUpgradeResponse(status, headers, { key: KEY, protocols }),
    (error: unknown) => {
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.code, ErrorCode.BadUpgradeResponse);
      if (pattern) assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('§4.1 the client handshake request', () => {
  test('createClientKey is the base64 of 16 random bytes, and a server accepts it', () => {
    for (let i = 0; i < 20; i++) {
      const key = createClientKey(randomBytes(16));
      assert.equal(Buffer.from(key, 'base64').length, 16);
      const headers = { host: 'h', ...lowerCase(upgradeRequestHeaders({ key })) };
      assert.equal(parseUpgradeRequest('GET', '1.1', headers).key, key);
    }
    assert.equal(createClientKey(Uint8Array.from({ length: 16 }, (_, i) => i + 1)), 'AQIDBAUGBwgJCgsMDQ4PEA==');
  });

  test('createClientKey refuses anything but 16 bytes', () => {
    assert.throws(() => createClientKey(new Uint8Array(15)), RangeError);
    assert.throws(() => createClientKey(new Uint8Array(17)), RangeError);
  });

  test('upgradeRequestHeaders writes the four required headers', () => {
    assert.deepEqual(upgradeRequestHeaders({ key: KEY }), {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': KEY,
      'Sec-WebSocket-Version': '13',
    });
  });

  test('upgradeRequestHeaders offers subprotocols and extensions in order, and a server reads them back', () => {
    const headers = upgradeRequestHeaders({
      key: KEY,
      protocols: ['chat', 'superchat'],
      extensions: [
        { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
        { name: 'permessage-deflate', params: [] },
      ],
    });
    assert.equal(headers['Sec-WebSocket-Protocol'], 'chat, superchat');
    assert.equal(headers['Sec-WebSocket-Extensions'], 'permessage-deflate; client_max_window_bits, permessage-deflate');
    const request = parseUpgradeRequest('GET', '1.1', { host: 'h', ...lowerCase(headers) });
    assert.deepEqual(request.protocols, ['chat', 'superchat']);
    assert.deepEqual(request.extensions, [
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
      { name: 'permessage-deflate', params: [] },
    ]);
  });

  test('upgradeRequestHeaders leaves out empty offers', () => {
    const headers = upgradeRequestHeaders({ key: KEY, protocols: [], extensions: [] });
    assert.equal('Sec-WebSocket-Protocol' in headers, false);
    assert.equal('Sec-WebSocket-Extensions' in headers, false);
  });
});

describe('§4.1 reading the server response', () => {
  test('accepts a valid 101 with no subprotocol or extension', () => {
    assert.deepEqual(verifyUpgradeResponse(101, responseHeaders(), { key: KEY, protocols: [] }), {
      protocol: '',
      extensions: [],
    });
  });

  test('accepts header values in any case and as token lists', () => {
    const headers = responseHeaders({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' });
    assert.equal(verifyUpgradeResponse(101, headers, { key: KEY, protocols: [] }).protocol, '');
    const repeated = responseHeaders({ connection: ['keep-alive', 'upgrade'] });
    assert.equal(verifyUpgradeResponse(101, repeated, { key: KEY, protocols: [] }).protocol, '');
  });

  test('returns the chosen subprotocol when it was offered', () => {
    const result = verifyUpgradeResponse(101, responseHeaders({ 'sec-websocket-protocol': 'superchat' }), {
      key: KEY,
      protocols: ['chat', 'superchat'],
    });
    assert.equal(result.protocol, 'superchat');
  });

  test('returns the accepted extensions', () => {
    const result = verifyUpgradeResponse(
      101,
      responseHeaders({
        'sec-websocket-extensions': 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10',
      }),
      { key: KEY, protocols: [] },
    );
    assert.deepEqual(result.extensions, [
      {
        name: 'permessage-deflate',
        params: [
          { name: 'server_no_context_takeover', value: true },
          { name: 'client_max_window_bits', value: '10' },
        ],
      },
    ]);
  });

  for (const status of [200, 204, 301, 302, 400, 401, 403, 404, 426, 500, 503]) {
    test(`status ${status} fails the connection`, () =>
      assertBadResponse(status, responseHeaders(), [], new RegExp(`^Unexpected server response: ${status}$`)));
  }

  test("a bad Upgrade, Connection or Sec-WebSocket-Accept is named in ws's words", () => {
    assertBadResponse(101, responseHeaders({ upgrade: 'h2c' }), [], /^Invalid Upgrade header$/);
    assertBadResponse(101, responseHeaders({ connection: 'keep-alive' }), [], /^Invalid Connection header$/);
    assertBadResponse(
      101,
      responseHeaders({ 'sec-websocket-accept': KEY }),
      [],
      /^Invalid Sec-WebSocket-Accept header$/,
    );
  });

  const malformed: [string, Record<string, string | string[] | undefined>][] = [
    ['a missing Upgrade', { upgrade: undefined }],
    ['an Upgrade that is not websocket', { upgrade: 'h2c' }],
    ['a missing Connection', { connection: undefined }],
    ['a Connection without Upgrade', { connection: 'keep-alive' }],
    ['a missing Sec-WebSocket-Accept', { 'sec-websocket-accept': undefined }],
    ['an accept key for another key', { 'sec-websocket-accept': computeAcceptKey('AQIDBAUGBwgJCgsMDQ4PEA==') }],
    ['the client key echoed as the accept key', { 'sec-websocket-accept': KEY }],
    ['an accept key in the wrong case', { 'sec-websocket-accept': ACCEPT.toLowerCase() }],
    ['two accept keys', { 'sec-websocket-accept': [ACCEPT, ACCEPT] }],
  ];
  for (const [name, overrides] of malformed) {
    test(`${name} fails the connection`, () => assertBadResponse(101, responseHeaders(overrides)));
  }

  test('a subprotocol when none was offered fails the connection', () => {
    assertBadResponse(
      101,
      responseHeaders({ 'sec-websocket-protocol': 'chat' }),
      [],
      /^Server sent a subprotocol but none was requested$/,
    );
  });

  test('a subprotocol that was not offered fails the connection', () => {
    assertBadResponse(
      101,
      responseHeaders({ 'sec-websocket-protocol': 'other' }),
      ['chat'],
      /^Server sent an invalid subprotocol$/,
    );
  });

  test('a list of subprotocols instead of one fails the connection', () => {
    assertBadResponse(101, responseHeaders({ 'sec-websocket-protocol': 'chat, superchat' }), ['chat', 'superchat']);
    assertBadResponse(101, responseHeaders({ 'sec-websocket-protocol': ['chat', 'superchat'] }), ['chat', 'superchat']);
  });

  test('no subprotocol when some were offered fails the connection', () => {
    assertBadResponse(101, responseHeaders(), ['chat'], /^Server sent no subprotocol$/);
  });

  for (const value of [
    '; foo',
    'permessage-deflate;',
    'permessage-deflate; a="x',
    'permessage-deflate; a=',
    'a b',
    'ext; p="not a token"',
  ]) {
    test(`a malformed Sec-WebSocket-Extensions ${JSON.stringify(value)} fails the connection`, () => {
      assertBadResponse(
        101,
        responseHeaders({ 'sec-websocket-extensions': value }),
        [],
        /^Invalid Sec-WebSocket-Extensions header$/,
      );
    });
  }
});

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
