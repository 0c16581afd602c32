/**
 * Reading the `open` packet's JSON (Engine.IO protocol v4, "Handshake") from a server that may send
 * anything: every field is checked, and a bad one is a parse error, never an exception.
 */
import type { HandshakeData } from '../../protocol/engine-io/index.js';

/** The handshake as the client keeps it; `maxPayload` is absent from servers that predate it. */
export type ClientHandshake = Omit<HandshakeData, 'maxPayload'> & { readonly maxPayload: number | undefined };

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** The handshake in `data`, or a sentence saying what is wrong with it. */
export function parseHandshake(data: string | undefined): ClientHandshake | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data ?? '');
  } catch {
    return 'the open packet is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'the open packet is not a JSON object';
  const { sid, upgrades, pingInterval, pingTimeout, maxPayload } = parsed as Record<string, unknown>;
  if (typeof sid !== 'string' || sid === '') return 'the open packet has no sid';
  if (!Array.isArray(upgrades) || !upgrades.every((name) => typeof name === 'string')) {
    return 'the open packet has no list of upgrades';
  }
  if (!isNonNegative(pingInterval) || !isNonNegative(pingTimeout))
    return 'the open packet has no valid pingInterval and pingTimeout';
  if (maxPayload !== undefined && !(isNonNegative(maxPayload) && maxPayload > 0)) {
    return 'the open packet has an invalid maxPayload';
  }
  return { sid, upgrades, pingInterval, pingTimeout, maxPayload };
}
