import { ErrorCode, WebSocketError } from './errors.js';
import type { ExtensionElement, ExtensionParam } from './header-values.js';

/**
 * The message of every client-side failure caused by the server's `Sec-WebSocket-Extensions`
 * (malformed, or an answer the extension refuses), `ws`'s wording; the reason is the `cause`.
 */
export const INVALID_EXTENSIONS_HEADER = 'Invalid Sec-WebSocket-Extensions header';

/**
 * A WebSocket extension as the server negotiates it (RFC 6455 §9). permessage-deflate
 * (RFC 7692) is one; the handshake code knows extensions only through this interface.
 */
export interface ServerExtension {
  /** The extension token, e.g. `permessage-deflate`. */
  readonly name: string;
  /** The RSV bits the extension uses on the first frame of a message once accepted (0x40 = RSV1). */
  readonly rsvBits: number;
  /**
   * Picks one of the client's offers of this extension, in the client's order of preference, and
   * answers the response parameters; `undefined` declines the extension.
   */
  negotiate(offers: readonly (readonly ExtensionParam[])[]): ExtensionParam[] | undefined;
}

/** A WebSocket extension as the client offers it. */
export interface ClientExtension {
  readonly name: string;
  readonly rsvBits: number;
  /** The offers to send, most preferred first. */
  offer(): ExtensionParam[][];
  /** Checks the server's response parameters; throws a `WebSocketError` when they are not acceptable (RFC 7692 §5.1). */
  accept(params: readonly ExtensionParam[]): void;
}

/**
 * Runs server-side negotiation: for each supported extension, in the server's order, the offers
 * that name it go to its `negotiate`. Answers the elements for the response header, and the
 * extensions that were accepted.
 */
export function negotiateExtensions(
  offers: readonly ExtensionElement[],
  supported: readonly ServerExtension[],
): { response: ExtensionElement[]; accepted: ServerExtension[] } {
  const response: ExtensionElement[] = [];
  const accepted: ServerExtension[] = [];
  let usedRsv = 0;
  for (const extension of supported) {
    const mine = offers.filter((offer) => offer.name === extension.name).map((offer) => offer.params);
    if (mine.length === 0 || (usedRsv & extension.rsvBits) !== 0) continue;
    const params = extension.negotiate(mine);
    if (params === undefined) continue;
    usedRsv |= extension.rsvBits;
    response.push({ name: extension.name, params });
    accepted.push(extension);
  }
  return { response, accepted };
}

/**
 * Checks the extensions a server accepted against what the client offered (RFC 6455 §4.1: an
 * extension the client did not ask for, or one named twice, fails the connection).
 */
export function acceptExtensions(
  response: readonly ExtensionElement[],
  offered: readonly ClientExtension[],
): ClientExtension[] {
  const accepted: ClientExtension[] = [];
  for (const element of response) {
    const extension = offered.find((candidate) => candidate.name === element.name);
    // ws's wording for both cases.
    if (offered.length === 0) {
      throw new WebSocketError(
        ErrorCode.BadUpgradeResponse,
        'Server sent a Sec-WebSocket-Extensions header but no extension was requested',
      );
    }
    if (extension === undefined)
      throw new WebSocketError(ErrorCode.BadUpgradeResponse, 'Server indicated an extension that was not requested');
    if (accepted.includes(extension)) {
      throw new WebSocketError(ErrorCode.BadUpgradeResponse, INVALID_EXTENSIONS_HEADER, {
        cause: new Error(`the server accepted "${element.name}" twice`),
      });
    }
    extension.accept(element.params);
    accepted.push(extension);
  }
  return accepted;
}
