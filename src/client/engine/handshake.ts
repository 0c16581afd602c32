/**
 * Reading the `open` packet's JSON (Engine.IO protocol v4, "Handshake") from a server that may send
 * anything: every field the client uses is checked, and a bad one is a parse error, never an exception.
 */
import type { HandshakeData } from '../../protocol/engine-io/index.js';
import { isFiniteCount } from '../options.js';

/** The handshake as the client keeps it; `maxPayload` is absent from servers that predate it. */
export type ClientHandshake = Omit<HandshakeData, 'maxPayload'> & { readonly maxPayload: number | undefined };

/** The handshake in `json`, or `undefined` when it is not one. */
export function parseHandshake(json: string): ClientHandshake | undefined {
  try {
    const handshake = JSON.parse(json) as Record<keyof ClientHandshake, unknown>;
    const { sid, upgrades, pingInterval, pingTimeout, maxPayload } = handshake;
    if (
      typeof sid === 'string' &&
      sid !== '' &&
      Array.isArray(upgrades) &&
      isFiniteCount(pingInterval) &&
      isFiniteCount(pingTimeout) &&
      (maxPayload === undefined || (isFiniteCount(maxPayload) && maxPayload > 0))
    ) {
      return handshake as ClientHandshake;
    }
  } catch {
    // Not JSON, or `null`: not a handshake either.
  }
  return undefined;
}
