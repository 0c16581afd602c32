/**
 * The `Sec-WebSocket-Extensions` parser (RFC 6455 §9.1) and permessage-deflate's negotiation on
 * what it parses (RFC 7692 §7). Invariants: the parser never throws; what it parses formats to a
 * header that parses to the same elements; the server's negotiation never throws, and the client's
 * check of an answer throws only `WebSocketError`.
 */
import fc from 'fast-check';
import {
  PERMESSAGE_DEFLATE,
  WebSocketError,
  acceptDeflateResponse,
  formatExtensionList,
  negotiateDeflate,
  parseExtensionList,
} from '../../../src/protocol/index.js';
import type { ExtensionElement } from '../../../src/protocol/index.js';
import type { Random } from '../random.js';
import { expectSame, ownErrorOrNothing, utf8, type FuzzTarget } from '../target.js';

const latin1 = new TextDecoder('latin1');
const isWebSocketError = (error: unknown): boolean => error instanceof WebSocketError;

const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/);
const deflateParam = fc.constantFrom(
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits=10',
  'client_max_window_bits',
  'client_max_window_bits="9"',
  'server_max_window_bits=16',
);
const element = fc.tuple(fc.constantFrom(PERMESSAGE_DEFLATE, 'x-ext'), fc.array(fc.oneof(deflateParam, token)));

/** The extension header parser and permessage-deflate's negotiation. */
export const extensionsTarget: FuzzTarget = {
  name: 'extensions',
  description: 'the Sec-WebSocket-Extensions parser, its round trip, and permessage-deflate negotiation',
  seeds(seed) {
    const handWritten = [
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=10, permessage-deflate',
      'x-webkit-deflate-frame, foo; bar="baz" ;qux , ,',
    ];
    const sampled = fc
      .sample(fc.array(element, { minLength: 1, maxLength: 3 }), { numRuns: 30, seed })
      .map((elements) => elements.map(([name, params]) => [name, ...params].join('; ')).join(', '));
    return [...handWritten, ...sampled].map(utf8);
  },
  check(input: Uint8Array, _random: Random) {
    let elements: ExtensionElement[] | undefined;
    ownErrorOrNothing(
      () => {
        elements = parseExtensionList(latin1.decode(input));
      },
      () => false,
    );
    if (elements === undefined) return;
    const parsed = elements;
    expectSame(parseExtensionList(formatExtensionList(parsed)), parsed, 'parse(format(parsed header))');
    const offers = parsed.filter((element) => element.name === PERMESSAGE_DEFLATE).map((element) => element.params);
    const limits = { serverMaxWindowBits: 12, clientMaxWindowBits: 11 };
    ownErrorOrNothing(
      () => negotiateDeflate(offers, limits),
      () => false,
    );
    for (const params of offers) {
      ownErrorOrNothing(() => acceptDeflateResponse(params, { serverMaxWindowBits: 12 }), isWebSocketError);
    }
  },
};
