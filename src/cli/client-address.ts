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

/**
 * The key a client's connections are counted under: an IPv4 address itself, an IPv6 address its
 * /64 prefix (`2001:db8:1:2::/64`). One IPv6 subscriber is routinely given a whole /64 (RFC 6177
 * §2 recommends at least that much for an end site), so counting full IPv6 addresses would let a
 * single client open the per-address cap 2⁶⁴ times over.
 */
export function addressGroup(address: string): string {
  if (isIP(address) !== 6) return address;
  const hextets = expandIpv6(address);
  return `${hextets.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIpv6(address: string): string[] {
  // A zone (`fe80::1%eth0`) names a link, not a host; a dotted tail (`::ffff:1.2.3.4`) is two groups.
  let text = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16));
}
