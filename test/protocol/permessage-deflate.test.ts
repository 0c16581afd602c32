import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, WebSocketError } from '../../src/protocol/errors.js';
import { acceptExtensions, negotiateExtensions } from '../../src/protocol/extension.js';
import { formatExtensionList, parseExtensionList, type ExtensionParam } from '../../src/protocol/header-values.js';
import {
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  acceptDeflateResponse,
  deflateOffer,
  negotiateDeflate,
  type DeflateNegotiationOptions,
  type DeflateParameters,
} from '../../src/protocol/permessage-deflate.js';

/** The permessage-deflate offers of a `Sec-WebSocket-Extensions` value, as the server receives them. */
function offersOf(header: string): ExtensionParam[][] {
  const elements = parseExtensionList(header);
  assert.ok(elements, `test header must parse: ${header}`);
  return elements.filter((element) => element.name === 'permessage-deflate').map((element) => [...element.params]);
}

/** Parameters of a response written as header text after `permessage-deflate`. */
function paramsOf(text: string): ExtensionParam[] {
  return offersOf(`permessage-deflate${text}`)[0]!;
}

function params(text: string): string {
  return formatExtensionList([{ name: 'permessage-deflate', params: paramsOf(text) }]);
}

const DEFAULTS: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

describe('RFC 7692 §5 and §7.1: server negotiation', () => {
  const accepted: [string, DeflateNegotiationOptions, string, Partial<DeflateParameters>][] = [
    // [offer header, server options, response parameters, agreed parameters beyond the defaults]
    ['permessage-deflate', {}, '', {}],
    ['permessage-deflate; client_max_window_bits', {}, '', {}],
    ['permessage-deflate; client_max_window_bits=10', {}, '', { clientMaxWindowBits: 10 }],
    [
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 9 },
      '; client_max_window_bits=9',
      { clientMaxWindowBits: 9 },
    ],
    ['permessage-deflate; client_max_window_bits=8', { clientMaxWindowBits: 12 }, '', { clientMaxWindowBits: 8 }],
    [
      'permessage-deflate; client_max_window_bits=12',
      { clientMaxWindowBits: 10 },
      '; client_max_window_bits=10',
      { clientMaxWindowBits: 10 },
    ],
    ['permessage-deflate; server_max_window_bits=10', {}, '; server_max_window_bits=10', { serverMaxWindowBits: 10 }],
    ['permessage-deflate; server_max_window_bits=8', {}, '; server_max_window_bits=8', { serverMaxWindowBits: 8 }],
    ['permessage-deflate; server_max_window_bits=15', {}, '; server_max_window_bits=15', {}],
    [
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 10 },
      '; server_max_window_bits=10',
      { serverMaxWindowBits: 10 },
    ],
    [
      'permessage-deflate; server_max_window_bits=9',
      { serverMaxWindowBits: 10 },
      '; server_max_window_bits=9',
      { serverMaxWindowBits: 9 },
    ],
    // §7.1.2.1: the server may announce a smaller window although none was asked for.
    ['permessage-deflate', { serverMaxWindowBits: 11 }, '; server_max_window_bits=11', { serverMaxWindowBits: 11 }],
    // §7.1.1.1: a requested server_no_context_takeover must be answered; the server may add it unasked.
    [
      'permessage-deflate; server_no_context_takeover',
      {},
      '; server_no_context_takeover',
      { serverNoContextTakeover: true },
    ],
    [
      'permessage-deflate',
      { serverNoContextTakeover: true },
      '; server_no_context_takeover',
      { serverNoContextTakeover: true },
    ],
    // §7.1.1.2: the client's hint is echoed; the server may impose it unasked.
    [
      'permessage-deflate; client_no_context_takeover',
      {},
      '; client_no_context_takeover',
      { clientNoContextTakeover: true },
    ],
    [
      'permessage-deflate',
      { clientNoContextTakeover: true },
      '; client_no_context_takeover',
      { clientNoContextTakeover: true },
    ],
    [
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8',
      {},
      '; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 8 },
    ],
    // A quoted value is the same value once unquoted (RFC 6455 §9.1).
    ['permessage-deflate; client_max_window_bits="10"', {}, '', { clientMaxWindowBits: 10 }],
    // Several offers: the first acceptable one wins (§5).
    ['permessage-deflate; client_max_window_bits=10, permessage-deflate', {}, '', { clientMaxWindowBits: 10 }],
    [
      'permessage-deflate; foo, permessage-deflate; server_max_window_bits=11',
      {},
      '; server_max_window_bits=11',
      { serverMaxWindowBits: 11 },
    ],
    [
      'permessage-deflate; server_max_window_bits, permessage-deflate; client_max_window_bits=9',
      {},
      '',
      { clientMaxWindowBits: 9 },
    ],
    [
      'permessage-deflate, permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 10 },
      '; client_max_window_bits=10',
      { clientMaxWindowBits: 10 },
    ],
  ];
  for (const [offer, options, response, agreed] of accepted) {
    it(`accepts "${offer}" with ${JSON.stringify(options)}`, () => {
      const result = negotiateDeflate(offersOf(offer), options);
      assert.ok(result, 'offer must be accepted');
      assert.equal(formatExtensionList([{ name: 'permessage-deflate', params: result.response }]), params(response));
      assert.deepEqual(result.parameters, { ...DEFAULTS, ...agreed });
    });
  }

  const declined: [string, DeflateNegotiationOptions][] = [
    ['permessage-deflate; foo', {}],
    ['permessage-deflate; foo=1', {}],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', {}],
    ['permessage-deflate; client_max_window_bits; client_max_window_bits=10', {}],
    ['permessage-deflate; server_max_window_bits=10; server_max_window_bits=10', {}],
    ['permessage-deflate; server_no_context_takeover=1', {}],
    ['permessage-deflate; client_no_context_takeover=yes', {}],
    // §7.1.2.1: server_max_window_bits always has a value, 8 to 15, without leading zeros.
    ['permessage-deflate; server_max_window_bits', {}],
    ['permessage-deflate; server_max_window_bits=7', {}],
    ['permessage-deflate; server_max_window_bits=16', {}],
    ['permessage-deflate; server_max_window_bits=010', {}],
    ['permessage-deflate; server_max_window_bits=+9', {}],
    ['permessage-deflate; server_max_window_bits=a', {}],
    ['permessage-deflate; client_max_window_bits=0', {}],
    ['permessage-deflate; client_max_window_bits=16', {}],
    ['permessage-deflate; client_max_window_bits=08', {}],
    // §7.1.2.2: a client that does not announce client_max_window_bits may use 15 bits.
    ['permessage-deflate', { clientMaxWindowBits: 14 }],
    ['permessage-deflate; foo, permessage-deflate; client_max_window_bits=99', {}],
  ];
  for (const [offer, options] of declined) {
    it(`declines "${offer}" with ${JSON.stringify(options)}`, () => {
      assert.equal(negotiateDeflate(offersOf(offer), options), undefined);
    });
  }

  it('declines when no offer is made', () => {
    assert.equal(negotiateDeflate([], {}), undefined);
  });

  it('rejects out-of-range options at construction', () => {
    for (const bad of [7, 16, 9.5, Number.NaN]) {
      assert.throws(() => new PerMessageDeflateServer({ serverMaxWindowBits: bad }), TypeError);
      assert.throws(() => new PerMessageDeflateServer({ clientMaxWindowBits: bad }), TypeError);
      assert.throws(() => new PerMessageDeflateClient({ serverMaxWindowBits: bad }), TypeError);
    }
  });

  it('runs through negotiateExtensions and records the agreement', () => {
    const deflate = new PerMessageDeflateServer({ serverNoContextTakeover: true });
    const offers = parseExtensionList(
      'x-unknown, permessage-deflate; foo, permessage-deflate; client_max_window_bits',
    )!;
    const { response, accepted } = negotiateExtensions(offers, [deflate]);
    assert.deepEqual(accepted, [deflate]);
    assert.equal(formatExtensionList(response), 'permessage-deflate; server_no_context_takeover');
    assert.deepEqual(deflate.parameters, { ...DEFAULTS, serverNoContextTakeover: true });
  });

  it('leaves parameters undefined when every offer is declined', () => {
    const deflate = new PerMessageDeflateServer();
    const { response, accepted } = negotiateExtensions(parseExtensionList('permessage-deflate; bar')!, [deflate]);
    assert.deepEqual(response, []);
    assert.deepEqual(accepted, []);
    assert.equal(deflate.parameters, undefined);
  });
});

describe('RFC 7692 §7.1: client offer', () => {
  const cases: [DeflateNegotiationOptions, string][] = [
    [{}, '; client_max_window_bits'],
    [{ clientMaxWindowBits: 15 }, '; client_max_window_bits'],
    [{ clientMaxWindowBits: 8 }, '; client_max_window_bits=8'],
    [{ serverMaxWindowBits: 15 }, '; server_max_window_bits=15; client_max_window_bits'],
    [
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 12 },
      '; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12',
    ],
  ];
  for (const [options, expected] of cases) {
    it(`offers "${expected}" for ${JSON.stringify(options)}`, () => {
      assert.equal(
        formatExtensionList([{ name: 'permessage-deflate', params: deflateOffer(options) }]),
        params(expected),
      );
      assert.deepEqual(new PerMessageDeflateClient(options).offer(), [deflateOffer(options)]);
    });
  }

  it('is accepted by our own server for every combination of options on both sides', () => {
    const bits = [undefined, 8, 9, 12, 15];
    const flags = [undefined, true];
    let checked = 0;
    for (const cBits of bits)
      for (const sBits of bits)
        for (const cnct of flags)
          for (const snct of flags) {
            const clientOptions = {
              clientMaxWindowBits: cBits,
              serverMaxWindowBits: sBits,
              clientNoContextTakeover: cnct,
              serverNoContextTakeover: snct,
            };
            for (const serverOptions of [
              {},
              {
                clientMaxWindowBits: 10,
                serverMaxWindowBits: 9,
                serverNoContextTakeover: true,
                clientNoContextTakeover: true,
              },
            ]) {
              const result = negotiateDeflate([deflateOffer(clientOptions)], serverOptions);
              assert.ok(result, JSON.stringify({ clientOptions, serverOptions }));
              // Both ends must come out with the same view of the connection.
              assert.deepEqual(acceptDeflateResponse(result.response, clientOptions), result.parameters);
              checked++;
            }
          }
    assert.equal(checked, 200);
  });
});

describe('RFC 7692 §5.1: client checks the response', () => {
  const accepted: [string, DeflateNegotiationOptions, Partial<DeflateParameters>][] = [
    ['', {}, {}],
    ['; server_no_context_takeover', {}, { serverNoContextTakeover: true }],
    ['; client_no_context_takeover', {}, { clientNoContextTakeover: true }],
    ['', { clientNoContextTakeover: true }, { clientNoContextTakeover: true }],
    ['; server_max_window_bits=10', {}, { serverMaxWindowBits: 10 }],
    ['; server_max_window_bits=8', { serverMaxWindowBits: 9 }, { serverMaxWindowBits: 8 }],
    ['; server_max_window_bits=9', { serverMaxWindowBits: 9 }, { serverMaxWindowBits: 9 }],
    ['; client_max_window_bits=11', {}, { clientMaxWindowBits: 11 }],
    ['; client_max_window_bits=8', { clientMaxWindowBits: 10 }, { clientMaxWindowBits: 8 }],
    // Larger than what the client announced: the client keeps to its own smaller window.
    ['; client_max_window_bits=14', { clientMaxWindowBits: 10 }, { clientMaxWindowBits: 10 }],
    ['; server_no_context_takeover', { serverNoContextTakeover: true }, { serverNoContextTakeover: true }],
    ['; client_max_window_bits="9"', {}, { clientMaxWindowBits: 9 }],
  ];
  for (const [response, options, agreed] of accepted) {
    it(`accepts "permessage-deflate${response}" after offering ${JSON.stringify(options)}`, () => {
      assert.deepEqual(acceptDeflateResponse(paramsOf(response), options), { ...DEFAULTS, ...agreed });
    });
  }

  const failed: [string, DeflateNegotiationOptions][] = [
    ['; foo', {}],
    ['; server_no_context_takeover; server_no_context_takeover', {}],
    ['; client_max_window_bits=10; client_max_window_bits=10', {}],
    ['; server_no_context_takeover=1', {}],
    ['; client_no_context_takeover=1', {}],
    ['; server_max_window_bits', {}],
    ['; server_max_window_bits=16', {}],
    ['; server_max_window_bits=7', {}],
    ['; server_max_window_bits=09', {}],
    // §7.1.2.2: a response must give client_max_window_bits a value.
    ['; client_max_window_bits', {}],
    ['; client_max_window_bits=5', {}],
    // Answers that do not honour the offer.
    ['', { serverNoContextTakeover: true }],
    ['', { serverMaxWindowBits: 10 }],
    ['; server_max_window_bits=11', { serverMaxWindowBits: 10 }],
  ];
  for (const [response, options] of failed) {
    it(`fails on "permessage-deflate${response}" after offering ${JSON.stringify(options)}`, () => {
      assert.throws(
        () => acceptDeflateResponse(paramsOf(response), options),
        (error: unknown) => error instanceof WebSocketError && error.code === ErrorCode.BadExtension,
      );
    });
  }

  it('runs through acceptExtensions and records the agreement', () => {
    const deflate = new PerMessageDeflateClient({ serverMaxWindowBits: 12 });
    const response = parseExtensionList('permessage-deflate; server_max_window_bits=10; client_max_window_bits=9')!;
    assert.deepEqual(acceptExtensions(response, [deflate]), [deflate]);
    assert.deepEqual(deflate.parameters, { ...DEFAULTS, serverMaxWindowBits: 10, clientMaxWindowBits: 9 });
  });

  it('fails when the server accepts permessage-deflate twice', () => {
    const deflate = new PerMessageDeflateClient();
    const response = parseExtensionList('permessage-deflate, permessage-deflate')!;
    assert.throws(() => acceptExtensions(response, [deflate]), WebSocketError);
  });
});
