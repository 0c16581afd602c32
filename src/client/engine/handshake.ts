/**
 * Reading the `open` packet's JSON (Engine.IO protocol v4, "Handshake") from a server that may send
 * anything: every field is checked, and a bad one is a parse error, never an exception.
 */
import type { HandshakeData } from '../../protocol/engine-io/index.js';

/** The handshake as the client keeps it; `maxPayload` is absent from servers that predate it. */
export type ClientHandshake = Omit<HandshakeData, 'maxPayload'> & { readonly maxPayload: number | undefined };

const isNonNegative = (value: unknown): boolean => typeof value === 'number' && value >= 0 && value < Infinity;

/** Each field of the handshake and what it must be. */
const FIELDS: readonly (readonly [keyof ClientHandshake, (value: unknown) => boolean])[] = [
  ['sid', (value) => typeof value === 'string' && value !== ''],
  ['upgrades', (value) => Array.isArray(value) && value.every((name) => typeof name === 'string')],
  ['pingInterval', isNonNegative],
  ['pingTimeout', isNonNegative],
  ['maxPayload', (value) => value === undefined || (isNonNegative(value) && (value as number) > 0)],
];

/** The handshake in `data`, or a sentence saying what is wrong with it. */
export function parseHandshake(data: string | undefined): ClientHandshake | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data ?? '');
  } catch {
    return 'the open packet is not JSON';
  }
  const fields = Object(parsed) as Record<string, unknown>;
  for (const [name, test] of FIELDS) if (!test(fields[name])) return `the open packet has no valid ${name}`;
  return fields as ClientHandshake;
}
