import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ErrorCode,
  WebSocketError,
  acceptExtensions,
  formatExtensionList,
  headerValue,
  isToken,
  listHasToken,
  negotiateExtensions,
  parseExtensionList,
  type ClientExtension,
  type ExtensionParam,
  type ServerExtension,
} from '../../src/protocol/index.js';

describe('§9.1 Sec-WebSocket-Extensions grammar', () => {
  test('parses names, bare parameters, token values and quoted values', () => {
    assert.deepEqual(parseExtensionList('foo, bar; baz=2;qux ,  x-y; z="q"'), [
      { name: 'foo', params: [] },
      {
        name: 'bar',
        params: [
          { name: 'baz', value: '2' },
          { name: 'qux', value: true },
        ],
      },
      { name: 'x-y', params: [{ name: 'z', value: 'q' }] },
    ]);
  });

  test('unescapes quoted-pair in a quoted value (RFC 7230 §3.2.6)', () => {
    assert.deepEqual(parseExtensionList('e; p="1\\0"'), [{ name: 'e', params: [{ name: 'p', value: '10' }] }]);
  });

  test('accepts tabs and spaces around separators and ignores empty list elements (RFC 7230 §7)', () => {
    assert.deepEqual(parseExtensionList(' ,\tfoo \t;\tbar = 1 ,, '), [
      { name: 'foo', params: [{ name: 'bar', value: '1' }] },
    ]);
    assert.deepEqual(parseExtensionList(''), []);
  });

  for (const value of [
    ';',
    'foo;',
    'foo; =1',
    'foo; a=',
    'foo; a="',
    'foo; a="x',
    'foo; a="\\',
    'foo; a=""',
    'foo; a="x y"',
    'foo; a="x,y"',
    'foo; a=b=c',
    'foo bar',
    'foo; a b',
    'fo"o',
    'foo; a=1 2',
    'foo/bar',
  ]) {
    test(`rejects ${JSON.stringify(value)}`, () => assert.equal(parseExtensionList(value), undefined));
  }

  test('formatExtensionList writes what parseExtensionList reads', () => {
    const elements = [
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true as const }] },
      {
        name: 'x-custom',
        params: [
          { name: 'a', value: '1' },
          { name: 'b', value: true as const },
        ],
      },
    ];
    const formatted = formatExtensionList(elements);
    assert.equal(formatted, 'permessage-deflate; client_max_window_bits, x-custom; a=1; b');
    assert.deepEqual(parseExtensionList(formatted), elements);
  });

  test('isToken follows RFC 7230 tchar', () => {
    for (const token of ['a', 'permessage-deflate', "!#$%&'*+-.^_`|~09AZaz"]) assert.equal(isToken(token), true, token);
    for (const bad of [
      '',
      'a b',
      'a,b',
      'a;b',
      'a=b',
      '"a"',
      'a/b',
      'a\tb',
      'é',
      'a\r\n',
      '(a)',
      'a:b',
      '[a]',
      '{a}',
      '<a>',
      'a@b',
      'a?b',
      'a\\b',
    ]) {
      assert.equal(isToken(bad), false, JSON.stringify(bad));
    }
  });

  test('headerValue joins repeated fields with commas (RFC 7230 §3.2.2)', () => {
    assert.equal(headerValue({ a: ['x', 'y'] }, 'a'), 'x, y');
    assert.equal(headerValue({ a: 'x' }, 'a'), 'x');
    assert.equal(headerValue({}, 'a'), undefined);
  });

  test('listHasToken matches whole elements, case-insensitively', () => {
    assert.equal(listHasToken('keep-alive, Upgrade', 'upgrade'), true);
    assert.equal(listHasToken('UPGRADE', 'upgrade'), true);
    assert.equal(listHasToken(' , upgrade , ', 'upgrade'), true);
    assert.equal(listHasToken('upgraded', 'upgrade'), false);
    assert.equal(listHasToken('keep-alive upgrade', 'upgrade'), false);
    assert.equal(listHasToken(undefined, 'upgrade'), false);
    assert.equal(listHasToken('', 'upgrade'), false);
  });
});

/** A server extension that records the offers it saw and answers with `answer`. */
function serverExtension(
  name: string,
  rsvBits: number,
  answer: (offers: readonly (readonly ExtensionParam[])[]) => ExtensionParam[] | undefined,
) {
  const seen: (readonly (readonly ExtensionParam[])[])[] = [];
  const extension: ServerExtension = {
    name,
    rsvBits,
    negotiate(offers) {
      seen.push(offers);
      return answer(offers);
    },
  };
  return { extension, seen };
}

/** A client extension that records the parameters it was accepted with, and rejects a parameter named `bad`. */
function clientExtension(name: string): { extension: ClientExtension; accepted: (readonly ExtensionParam[])[] } {
  const accepted: (readonly ExtensionParam[])[] = [];
  const extension: ClientExtension = {
    name,
    rsvBits: 0x40,
    offer: () => [[]],
    accept(params) {
      if (params.some((param) => param.name === 'bad'))
        throw new WebSocketError(ErrorCode.BadUpgradeResponse, 'bad parameter');
      accepted.push(params);
    },
  };
  return { extension, accepted };
}

describe('§9.1 extension negotiation, server side', () => {
  test("passes each extension the client's offers of it, in the client's order, and answers its parameters", () => {
    const offers = parseExtensionList('a; x=1, b, a; x=2')!;
    const a = serverExtension('a', 0x40, (mine) => [...mine[1]!]);
    const result = negotiateExtensions(offers, [a.extension]);
    assert.deepEqual(a.seen, [[[{ name: 'x', value: '1' }], [{ name: 'x', value: '2' }]]]);
    assert.deepEqual(result.response, [{ name: 'a', params: [{ name: 'x', value: '2' }] }]);
    assert.deepEqual(result.accepted, [a.extension]);
  });

  test('skips extensions the client did not offer, and those that decline', () => {
    const offers = parseExtensionList('a, b')!;
    const a = serverExtension('a', 0x40, () => undefined);
    const b = serverExtension('b', 0x20, () => []);
    const c = serverExtension('c', 0x10, () => []);
    const result = negotiateExtensions(offers, [a.extension, b.extension, c.extension]);
    assert.deepEqual(result.response, [{ name: 'b', params: [] }]);
    assert.deepEqual(result.accepted, [b.extension]);
    assert.equal(c.seen.length, 0);
  });

  test('follows the server order and never accepts two extensions using the same RSV bit', () => {
    const offers = parseExtensionList('b, a')!;
    const a = serverExtension('a', 0x40, () => []);
    const b = serverExtension('b', 0x40, () => []);
    const result = negotiateExtensions(offers, [a.extension, b.extension]);
    assert.deepEqual(result.accepted, [a.extension]);
    assert.equal(b.seen.length, 0);
    // A declined extension leaves its bit free for the next.
    const declining = serverExtension('a', 0x40, () => undefined);
    assert.deepEqual(negotiateExtensions(offers, [declining.extension, b.extension]).accepted, [b.extension]);
  });

  test('no offers, no extensions', () => {
    const a = serverExtension('a', 0x40, () => []);
    assert.deepEqual(negotiateExtensions([], [a.extension]), { response: [], accepted: [] });
  });
});

describe('§9.1 extension negotiation, client side', () => {
  test("hands each accepted extension the server's parameters and keeps the server's order", () => {
    const a = clientExtension('a');
    const b = clientExtension('b');
    const accepted = acceptExtensions(parseExtensionList('b; q=1, a')!, [a.extension, b.extension]);
    assert.deepEqual(accepted, [b.extension, a.extension]);
    assert.deepEqual(b.accepted, [[{ name: 'q', value: '1' }]]);
    assert.deepEqual(a.accepted, [[]]);
  });

  test("an extension the client did not offer fails the connection (in ws's words)", () => {
    const a = clientExtension('a');
    assert.throws(() => acceptExtensions(parseExtensionList('x-unknown')!, [a.extension]), {
      code: ErrorCode.BadUpgradeResponse,
      message: 'Server indicated an extension that was not requested',
    });
    assert.throws(() => acceptExtensions(parseExtensionList('x-unknown')!, []), {
      code: ErrorCode.BadUpgradeResponse,
      message: 'Server sent a Sec-WebSocket-Extensions header but no extension was requested',
    });
  });

  test('an extension accepted twice fails the connection, the reason in the cause', () => {
    const a = clientExtension('a');
    assert.throws(
      () => acceptExtensions(parseExtensionList('a, a')!, [a.extension]),
      (error: unknown) =>
        error instanceof WebSocketError &&
        error.code === ErrorCode.BadUpgradeResponse &&
        error.message === 'Invalid Sec-WebSocket-Extensions header' &&
        /twice/.test(String((error.cause as Error).message)),
    );
  });

  test("an extension that refuses the server's parameters fails the connection", () => {
    const a = clientExtension('a');
    assert.throws(
      () => acceptExtensions(parseExtensionList('a; bad')!, [a.extension]),
      (error: unknown) => error instanceof WebSocketError && error.code === ErrorCode.BadUpgradeResponse,
    );
  });

  test('an empty response accepts nothing', () => {
    assert.deepEqual(acceptExtensions([], [clientExtension('a').extension]), []);
  });
});
