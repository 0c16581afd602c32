import { Buffer } from 'node:buffer';
import { ErrorCode, ReadyState, WebSocketError, isValidWireCloseCode } from '../protocol/index.js';
import type { WebSocketOptions } from './client-handshake.js';
import { asBuffer } from './send-data.js';

/*
 * The argument forms of `ws`'s `WebSocket` methods and their checks, in `ws`'s words where it has
 * them, so that code written for `ws` (and its error handling) ports unchanged. Kept apart from
 * the connection itself: none of it is protocol, all of it runs before anything is sent.
 */

/** Options of one `send`. */
export interface SendOptions {
  /** Send a binary frame; by default strings go as text and everything else as binary. */
  binary?: boolean;
  /** Compress the message when permessage-deflate is negotiated. @default true */
  compress?: boolean;
  /** Whether this is the last fragment of the message; `false` starts or continues a fragmented message. @default true */
  fin?: boolean;
  /**
   * `ws`'s switch for masking. RFC 6455 §5.1 fixes it by role, so only that value is accepted:
   * `true` on a client (which masks every frame), `false` on the server side.
   * @default true on a client, false on the server side
   */
  mask?: boolean;
}

const SEND_OPTION_NAMES: ReadonlySet<string> = new Set([
  'binary',
  'compress',
  'fin',
  'mask',
] satisfies (keyof SendOptions)[]);

/** The names of the ready states, as `ws` spells them in its errors. */
export const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

/** What `send`, `ping` and `pong` throw while connecting (`ws`'s wording). */
export const NOT_CONNECTED = 'WebSocket is not open: readyState 0 (CONNECTING)';

/** The error a send made once closing is answered with, in `ws`'s words. */
export function notOpenError(state: ReadyState): WebSocketError {
  return new WebSocketError(
    ErrorCode.NotOpen,
    `WebSocket is not open: readyState ${state} (${READY_STATE_NAMES[state]})`,
  );
}

/** RFC 6455 §5.1: clients mask every frame, servers none; `ws` lets either be asked for, we refuse the one that breaks the protocol. */
export function checkMask(mask: unknown, client: boolean): void {
  if (mask === client) return;
  throw new TypeError(
    client
      ? 'mask: false is not supported: RFC 6455 §5.1 has a client mask every frame (servers fail unmasked ones); leave mask out'
      : 'mask: true is not supported on the server side: RFC 6455 §5.1 forbids masking server frames (clients fail them); leave mask out',
  );
}

/** Refuses a `send` option this package does not know, naming it, and a `mask` the role forbids. */
export function checkSendOptions(options: SendOptions, client: boolean): void {
  // for...in rather than Object.keys: `send(data, { binary })` is per message, and this allocates nothing.
  for (const name in options) {
    if (!SEND_OPTION_NAMES.has(name))
      throw new TypeError(`unknown send option "${name}" (the options are binary, compress, fin and mask)`);
  }
  if (options.mask !== undefined) checkMask(options.mask, client);
}

/**
 * Checks the arguments of `close(code, reason)` as `ws` does, answering the reason as text:
 * `code` must be one that may appear on the wire (RFC 6455 §7.4), else a `TypeError`, and the
 * reason (a string or UTF-8 bytes) must fit in a control frame beside it (§5.5: 125 bytes), else a
 * `RangeError`.
 */
export function closeArguments(code: unknown, reason: unknown): string {
  if (code !== undefined && (typeof code !== 'number' || !Number.isInteger(code) || !isValidWireCloseCode(code))) {
    throw new TypeError('First argument must be a valid error code number');
  }
  let text = '';
  if (typeof reason === 'string') text = reason;
  else if (reason instanceof Uint8Array) text = asBuffer(reason).toString();
  else if (reason !== undefined) throw new TypeError('Second argument must be a string or a Uint8Array');
  if (Buffer.byteLength(text) > 123) throw new RangeError('The message must not be greater than 123 bytes');
  return text;
}

/**
 * The client constructor's forms, as `ws` takes them: an object in second place is the options;
 * any other value that is not an array is one subprotocol (so null or a number fails the
 * subprotocol check, as in `ws`); without one, `options.protocols`.
 */
export function clientArguments(
  protocols: string | string[] | WebSocketOptions | undefined,
  options: WebSocketOptions | undefined,
): { protocols: string[]; options: WebSocketOptions } {
  if (typeof protocols === 'object' && protocols !== null && !Array.isArray(protocols)) {
    options = protocols;
    protocols = undefined;
  }
  // Not `??`: a null from JavaScript is an invalid subprotocol, as in ws, not an absent one.
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
  const offered: unknown = protocols === undefined ? (options?.protocols ?? []) : protocols;
  return { protocols: Array.isArray(offered) ? (offered as string[]) : [offered as string], options: options ?? {} };
}
