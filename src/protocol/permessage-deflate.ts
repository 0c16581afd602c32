import { ErrorCode, WebSocketError } from './errors.js';
import { INVALID_EXTENSIONS_HEADER, type ClientExtension, type ServerExtension } from './extension.js';
import type { ExtensionParam } from './header-values.js';

/** The extension token of RFC 7692 §7. */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** RSV1, the bit that marks a compressed message on its first frame (RFC 7692 §6). */
export const RSV1 = 0x40;

/** Smallest LZ77 window size that may be negotiated, as a base-2 logarithm (RFC 7692 §7.1.2). */
export const MIN_WINDOW_BITS = 8;
/** Largest LZ77 window size, and the one used when none is negotiated (RFC 7692 §7.1.2). */
export const MAX_WINDOW_BITS = 15;

/**
 * The parameters both ends agreed on, as one record; each side reads the half it compresses with
 * and the half its peer compresses with.
 */
export interface DeflateParameters {
  /** The server starts every message with an empty LZ77 window (RFC 7692 §7.1.1.1). */
  readonly serverNoContextTakeover: boolean;
  /** The client starts every message with an empty LZ77 window (RFC 7692 §7.1.1.2). */
  readonly clientNoContextTakeover: boolean;
  /** Largest window the server compresses with, 8–15 (RFC 7692 §7.1.2.1). */
  readonly serverMaxWindowBits: number;
  /** Largest window the client compresses with, 8–15 (RFC 7692 §7.1.2.2). */
  readonly clientMaxWindowBits: number;
}

/**
 * The negotiation half of permessage-deflate options. On a server they say what it accepts and
 * prefers; on a client they say what it offers.
 */
export interface DeflateNegotiationOptions {
  /**
   * Server: always answer `server_no_context_takeover` (a client that asks for it gets it either
   * way). Client: ask the server to reset its compressor after each message.
   * @default false
   */
  readonly serverNoContextTakeover?: boolean | undefined;
  /**
   * Server: tell the client to reset its compressor after each message. Client: reset ours after
   * each message and say so in the offer.
   * @default false
   */
  readonly clientNoContextTakeover?: boolean | undefined;
  /**
   * Server: the largest window it compresses with (a client may ask for less). Client: when set,
   * offer `server_max_window_bits` with this value, which caps the server's window and so the
   * memory our decompressor needs.
   * @default 15 (server); not offered (client)
   */
  readonly serverMaxWindowBits?: number | undefined;
  /**
   * Server: the largest window it lets clients compress with; below 15 it declines offers without
   * `client_max_window_bits`, since those clients may use the full window. Client: the largest
   * window it compresses with, offered as `client_max_window_bits` (with no value at 15).
   * @default 15
   */
  readonly clientMaxWindowBits?: number | undefined;
}

/** The parameters of one offer or response, once checked; absent fields were not present. */
interface ParsedParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true` for `client_max_window_bits` with no value, which only an offer may carry. */
  clientMaxWindowBits: number | true | undefined;
}

// RFC 7692 §7.1.2.1: a decimal integer from 8 to 15 without leading zeros.
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/**
 * Checks the parameters of one offer (`from: 'offer'`) or response against RFC 7692 §7.1; answers a
 * description of the first problem instead when there is one: an unknown parameter, a repeated
 * one, or a bad value (§5: a server declines such an offer, §5.1: a client fails on such a response).
 */
function parseParams(params: readonly ExtensionParam[], from: 'offer' | 'response'): ParsedParams | string {
  const parsed: ParsedParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const { name, value } of params) {
    if (seen.has(name)) return `parameter "${name}" appears more than once`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== true) return `parameter "${name}" must not have a value`;
        if (name === 'server_no_context_takeover') parsed.serverNoContextTakeover = true;
        else parsed.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        if (value === true || !WINDOW_BITS.test(value)) return `invalid value for "${name}"`;
        parsed.serverMaxWindowBits = Number(value);
        break;
      case 'client_max_window_bits':
        // §7.1.2.2: an offer may carry it bare ("I support it"); a response must give a value.
        if (value === true) {
          if (from === 'response') return `parameter "${name}" must have a value in a response`;
          parsed.clientMaxWindowBits = true;
        } else if (WINDOW_BITS.test(value)) {
          parsed.clientMaxWindowBits = Number(value);
        } else {
          return `invalid value for "${name}"`;
        }
        break;
      default:
        return `unknown parameter "${name}"`;
    }
  }
  return parsed;
}

function checkWindowBits(value: number | undefined, option: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < MIN_WINDOW_BITS || value > MAX_WINDOW_BITS) {
    throw new TypeError(`${option} must be an integer from ${MIN_WINDOW_BITS} to ${MAX_WINDOW_BITS}, got ${value}`);
  }
}

/**
 * Validates negotiation options once, at construction.
 *
 * @throws TypeError when a window size is not an integer from 8 to 15.
 */
export function validateDeflateNegotiationOptions(options: DeflateNegotiationOptions): void {
  checkWindowBits(options.serverMaxWindowBits, 'serverMaxWindowBits');
  checkWindowBits(options.clientMaxWindowBits, 'clientMaxWindowBits');
}

/**
 * Server side of RFC 7692 negotiation: picks the first of the client's offers it can accept and
 * answers the response parameters with the agreed configuration, or `undefined` to decline them all.
 *
 * @example
 * negotiateDeflate([[{ name: 'client_max_window_bits', value: true }]], { clientMaxWindowBits: 10 });
 * // { response: [{ name: 'client_max_window_bits', value: '10' }], parameters: { ..., clientMaxWindowBits: 10 } }
 */
export function negotiateDeflate(
  offers: readonly (readonly ExtensionParam[])[],
  options: DeflateNegotiationOptions = {},
): { response: ExtensionParam[]; parameters: DeflateParameters } | undefined {
  const serverLimit = options.serverMaxWindowBits ?? MAX_WINDOW_BITS;
  const clientLimit = options.clientMaxWindowBits ?? MAX_WINDOW_BITS;
  for (const params of offers) {
    const offer = parseParams(params, 'offer');
    // §5: an offer with a bad parameter is declined; the next one may still do.
    if (typeof offer === 'string') continue;

    // §7.1.2.2: without client_max_window_bits in the offer the response must not carry it, so
    // the client may use a 15-bit window; a server that allows less cannot accept this offer.
    if (offer.clientMaxWindowBits === undefined && clientLimit < MAX_WINDOW_BITS) continue;

    const response: ExtensionParam[] = [];
    // §7.1.1.1: a server accepting an offer with server_no_context_takeover must answer it; it
    // may also answer it unasked.
    const serverNoContextTakeover = offer.serverNoContextTakeover || options.serverNoContextTakeover === true;
    if (serverNoContextTakeover) response.push({ name: 'server_no_context_takeover', value: true });
    // §7.1.1.2: the server may tell the client to reset its context; echo the client's own hint too.
    const clientNoContextTakeover = offer.clientNoContextTakeover || options.clientNoContextTakeover === true;
    if (clientNoContextTakeover) response.push({ name: 'client_no_context_takeover', value: true });

    // §7.1.2.1: answer the same or a smaller value than offered; without an offer the server may
    // still announce the smaller window it uses.
    const serverMaxWindowBits = Math.min(offer.serverMaxWindowBits ?? MAX_WINDOW_BITS, serverLimit);
    if (offer.serverMaxWindowBits !== undefined || serverMaxWindowBits < MAX_WINDOW_BITS) {
      response.push({ name: 'server_max_window_bits', value: String(serverMaxWindowBits) });
    }

    // §7.1.2.2: a value in the offer is the client's own promise; answer only to ask for less.
    const clientPromise =
      offer.clientMaxWindowBits === true || offer.clientMaxWindowBits === undefined
        ? MAX_WINDOW_BITS
        : offer.clientMaxWindowBits;
    const clientMaxWindowBits = Math.min(clientPromise, clientLimit);
    if (clientMaxWindowBits < clientPromise) {
      response.push({ name: 'client_max_window_bits', value: String(clientMaxWindowBits) });
    }

    return {
      response,
      parameters: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits },
    };
  }
  return undefined;
}

/**
 * Client side: the one offer to send for the given options (RFC 7692 §7.1). The client always
 * announces `client_max_window_bits`, bare at 15, so a server may ask for a smaller window.
 *
 * @example
 * deflateOffer({ serverMaxWindowBits: 10 });
 * // [{ name: 'server_max_window_bits', value: '10' }, { name: 'client_max_window_bits', value: true }]
 */
export function deflateOffer(options: DeflateNegotiationOptions = {}): ExtensionParam[] {
  const offer: ExtensionParam[] = [];
  if (options.serverNoContextTakeover === true) offer.push({ name: 'server_no_context_takeover', value: true });
  if (options.clientNoContextTakeover === true) offer.push({ name: 'client_no_context_takeover', value: true });
  if (options.serverMaxWindowBits !== undefined) {
    offer.push({ name: 'server_max_window_bits', value: String(options.serverMaxWindowBits) });
  }
  const clientBits = options.clientMaxWindowBits ?? MAX_WINDOW_BITS;
  offer.push({ name: 'client_max_window_bits', value: clientBits < MAX_WINDOW_BITS ? String(clientBits) : true });
  return offer;
}

/**
 * Client side: checks the server's response to the offer made from the same `options` and
 * answers the agreed configuration.
 *
 * @throws WebSocketError (`ERR_BAD_EXTENSION`) when the response breaks RFC 7692 §5.1: a parameter
 *   that is unknown, repeated or badly valued, or one that does not answer what was offered.
 */
export function acceptDeflateResponse(
  params: readonly ExtensionParam[],
  options: DeflateNegotiationOptions = {},
): DeflateParameters {
  const response = parseParams(params, 'response');
  const fail = (message: string): WebSocketError =>
    new WebSocketError(ErrorCode.BadExtension, INVALID_EXTENSIONS_HEADER, {
      cause: new Error(`invalid permessage-deflate response: ${message}`),
    });
  if (typeof response === 'string') throw fail(response);
  // §7.1.1.1: a server accepting server_no_context_takeover must say so.
  if (options.serverNoContextTakeover === true && !response.serverNoContextTakeover) {
    throw fail('server_no_context_takeover was offered but not answered');
  }
  // §7.1.2.1: the server answers server_max_window_bits with the same or a smaller value.
  if (options.serverMaxWindowBits !== undefined) {
    if (response.serverMaxWindowBits === undefined) throw fail('server_max_window_bits was offered but not answered');
    if (response.serverMaxWindowBits > options.serverMaxWindowBits) {
      throw fail(
        `server_max_window_bits=${response.serverMaxWindowBits} exceeds the offered ${options.serverMaxWindowBits}`,
      );
    }
  }
  // The client always offers client_max_window_bits (see deflateOffer), so the server may answer
  // it; a larger value than offered changes nothing, since the client never exceeds its own.
  const clientMaxWindowBits = Math.min(
    options.clientMaxWindowBits ?? MAX_WINDOW_BITS,
    typeof response.clientMaxWindowBits === 'number' ? response.clientMaxWindowBits : MAX_WINDOW_BITS,
  );
  return {
    serverNoContextTakeover: response.serverNoContextTakeover,
    clientNoContextTakeover: response.clientNoContextTakeover || options.clientNoContextTakeover === true,
    serverMaxWindowBits: response.serverMaxWindowBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits,
  };
}

/**
 * permessage-deflate as a {@link ServerExtension}, for one handshake: after a successful
 * `negotiate`, `parameters` holds the agreed configuration.
 *
 * @example
 * const deflate = new PerMessageDeflateServer({ serverNoContextTakeover: true });
 * const { response, accepted } = negotiateExtensions(request.extensions, [deflate]);
 * if (accepted.includes(deflate)) startCompression(deflate.parameters!);
 */
export class PerMessageDeflateServer implements ServerExtension {
  readonly name = PERMESSAGE_DEFLATE;
  readonly rsvBits = RSV1;
  /** The agreed configuration, once an offer was accepted. */
  parameters: DeflateParameters | undefined;

  /** @throws TypeError when an option is out of range. */
  constructor(private readonly options: DeflateNegotiationOptions = {}) {
    validateDeflateNegotiationOptions(options);
  }

  negotiate(offers: readonly (readonly ExtensionParam[])[]): ExtensionParam[] | undefined {
    const result = negotiateDeflate(offers, this.options);
    this.parameters = result?.parameters;
    return result?.response;
  }
}

/**
 * permessage-deflate as a {@link ClientExtension}, for one handshake: after `accept`,
 * `parameters` holds the agreed configuration.
 *
 * @example
 * const deflate = new PerMessageDeflateClient({ clientMaxWindowBits: 12 });
 * headers['Sec-WebSocket-Extensions'] = formatExtensionList([{ name: deflate.name, params: deflate.offer()[0]! }]);
 */
export class PerMessageDeflateClient implements ClientExtension {
  readonly name = PERMESSAGE_DEFLATE;
  readonly rsvBits = RSV1;
  /** The agreed configuration, once the server's response was accepted. */
  parameters: DeflateParameters | undefined;

  /** @throws TypeError when an option is out of range. */
  constructor(private readonly options: DeflateNegotiationOptions = {}) {
    validateDeflateNegotiationOptions(options);
  }

  offer(): ExtensionParam[][] {
    return [deflateOffer(this.options)];
  }

  accept(params: readonly ExtensionParam[]): void {
    this.parameters = acceptDeflateResponse(params, this.options);
  }
}
