import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address a request came from, as a key to count connections by: the TCP peer's, or, with
 * `trustProxy`, the last `X-Forwarded-For` entry, the one the reverse proxy in front appended for
 * the peer it saw (entries before it were written by the client and prove nothing). Without a
 * usable entry it falls back to the TCP peer. IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, as
 * a dual-stack listener reports IPv4 peers) come back as plain IPv4, so a client counts once.
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? lastForwardedAddress(request.headers['x-forwarded-for']) : undefined;
  const address = (forwarded ?? request.socket.remoteAddress ?? '').toLowerCase();
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

// A port after the address, as some proxies write it: `192.0.2.1:4711` or `[2001:db8::1]:4711`.
const withPort = /^(?:\[([^\]]+)\]|([\d.]+)):\d{1,5}$/;

/** The last entry of `X-Forwarded-For` (repeated headers count as one list), if it is an IP address. */
function lastForwardedAddress(header: string | string[] | undefined): string | undefined {
  const last = Array.isArray(header) ? header.at(-1) : header;
  if (last === undefined) return undefined;
  const entry = last.slice(last.lastIndexOf(',') + 1).trim();
  const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  if (isIP(bare) !== 0) return bare;
  const match = withPort.exec(entry);
  const address = match?.[1] ?? match?.[2];
  return address !== undefined && isIP(address) !== 0 ? address : undefined;
}
