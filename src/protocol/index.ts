/**
 * The sans-I/O protocol core: WebSocket frames, handshake, close codes, UTF-8 and extension
 * negotiation. No sockets, timers or host modules; every function here is pure or works on the
 * bytes it is given.
 */
export { CloseCode, isApplicationCloseCode, isValidWireCloseCode } from './close-codes.js';
export { Connection, ReadyState, type ConnectionHandler, type ConnectionOptions } from './connection.js';
export { checkInteger, checkIntegerOrInfinity } from './check-integer.js';
export { ErrorCode, WebSocketError } from './errors.js';
export { acceptExtensions, negotiateExtensions, type ClientExtension, type ServerExtension } from './extension.js';
export {
  encodeClosePayload,
  encodeFrame,
  frameHeaderSize,
  writeFrameHeader,
  type FrameOptions,
} from './frame-encoder.js';
export {
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_PAYLOAD,
  FrameParser,
  checkMaxFragments,
  type FrameParserOptions,
  type FrameSink,
} from './frame-parser.js';
export {
  WEBSOCKET_GUID,
  WEBSOCKET_VERSION,
  acceptResponse,
  acceptResponseLines,
  computeAcceptKey,
  createClientKey,
  parseProtocolList,
  parseUpgradeRequest,
  rejectResponse,
  requestOrigin,
  upgradeRequestHeaders,
  verifyUpgradeResponse,
  type AcceptOptions,
  type UpgradeRequest,
  type UpgradeResponse,
} from './handshake.js';
export {
  formatExtensionList,
  headerValue,
  isToken,
  listHasToken,
  parseExtensionList,
  type ExtensionElement,
  type ExtensionParam,
  type HeaderMap,
} from './header-values.js';
export { DEFAULT_MAX_HEAD_SIZE, findHeadEnd, parseRequestHead, type RequestHead } from './http-request-head.js';
export { MaskKeySource, applyMask } from './mask.js';
export {
  MAX_WINDOW_BITS,
  MIN_WINDOW_BITS,
  PERMESSAGE_DEFLATE,
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  RSV1,
  acceptDeflateResponse,
  deflateOffer,
  negotiateDeflate,
  validateDeflateNegotiationOptions,
  type DeflateNegotiationOptions,
  type DeflateParameters,
} from './permessage-deflate.js';
export { Opcode, isControlOpcode, isKnownOpcode } from './opcodes.js';
export { Utf8Validator, isValidUtf8, type Utf8Check } from './utf8.js';
