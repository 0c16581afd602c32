import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, WebSocketError } from '../../src/protocol/errors.js';
import type { ExtensionParam } from '../../src/protocol/header-values.js';
import {
  acceptDeflateResponse,
  deflateOffer,
  negotiateDeflate,
  type DeflateNegotiationOptions,
} from '../../src/protocol/permessage-deflate.js';

const NAMES = [
  'server_no_context_takeover',
  'client_no_context_takeover',
  'server_max_window_bits',
  'client_max_window_bits',
  'x',
  'Server_Max_Window_Bits',
];
const VALUES = ['8', '9', '10', '15', '16', '7', '0', '08', '1e1', '', 'true'];

/** Parameters that are mostly plausible: known names, odd values, repeats, unknown names. */
const param: fc.Arbitrary<ExtensionParam> = fc.record({
  name: fc.constantFrom(...NAMES),
  value: fc.oneof(fc.constant<true>(true), fc.constantFrom(...VALUES)),
});
const params = fc.array(param, { maxLength: 6 });
const bits = fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined });
const flag = fc.option(fc.boolean(), { nil: undefined });
const options: fc.Arbitrary<DeflateNegotiationOptions> = fc.record({
  serverNoContextTakeover: flag,
  clientNoContextTakeover: flag,
  serverMaxWindowBits: bits,
  clientMaxWindowBits: bits,
});

describe('RFC 7692 negotiation on arbitrary parameters', () => {
  it('a server never throws, and what it accepts it answers within bounds', () => {
    fc.assert(
      fc.property(fc.array(params, { maxLength: 4 }), options, (offers, serverOptions) => {
        const result = negotiateDeflate(offers, serverOptions);
        if (result === undefined) return;
        const { parameters } = result;
        for (const value of [parameters.serverMaxWindowBits, parameters.clientMaxWindowBits])
          assert.ok(value >= 8 && value <= 15);
        assert.ok(parameters.serverMaxWindowBits <= (serverOptions.serverMaxWindowBits ?? 15));
        assert.ok(parameters.clientMaxWindowBits <= (serverOptions.clientMaxWindowBits ?? 15));
        // It answers only parameters RFC 7692 defines, in their exact spelling.
        assert.ok(result.response.every((p) => NAMES.slice(0, 4).includes(p.name)));
      }),
      { numRuns: 2000 },
    );
  });

  it('a client either accepts a response or fails with ERR_BAD_EXTENSION, never anything else', () => {
    fc.assert(
      fc.property(params, options, (response, clientOptions) => {
        try {
          const agreed = acceptDeflateResponse(response, clientOptions);
          assert.ok(agreed.clientMaxWindowBits <= (clientOptions.clientMaxWindowBits ?? 15));
          if (clientOptions.serverMaxWindowBits !== undefined)
            assert.ok(agreed.serverMaxWindowBits <= clientOptions.serverMaxWindowBits);
        } catch (error) {
          assert.ok(error instanceof WebSocketError && error.code === ErrorCode.BadExtension, String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('our client and server always agree with each other', () => {
    fc.assert(
      fc.property(options, options, (clientOptions, serverOptions) => {
        const result = negotiateDeflate([deflateOffer(clientOptions)], serverOptions);
        assert.ok(result, 'our own offer is always acceptable to our own server');
        assert.deepEqual(acceptDeflateResponse(result.response, clientOptions), result.parameters);
      }),
      { numRuns: 2000 },
    );
  });
});
