import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** Who may tell us the client's address, and where they put it. */
export interface TrustedProxy {
  /** The proxies' own addresses (CIDRs); headers from any other peer are ignored. */
  proxies: BlockList;
  /** Headers holding the client address, the first present one wins (e.g. `X-Forwarded-For`). */
  headers: readonly string[];
  /** Take the leftmost address of a list (the original client, but spoofable) instead of the rightmost. */
  useLeftmostIp: boolean;
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`. */
function plain(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/**
 * A BlockList of the given addresses and CIDRs (`10.0.0.0/8`, `::1`); throws on a malformed one,
 * naming it.
 */
export function proxyList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [ip = '', prefix, extra] = entry.trim().split('/');
    const family = isIP(ip);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > max || prefix === '')
      throw new Error(`invalid trusted proxy "${entry}", expected an IP address or CIDR`);
    list.addSubnet(ip, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/**
 * The client's address: the socket's peer, unless that peer is a trusted proxy and one of
 * the trusted headers names a valid address. Of a list (`client, proxy1, proxy2`) the
 * rightmost valid entry is used by default, the one the nearest proxy added; matches
 * PocketBase's `trustedProxy.headers` / `useLeftmostIP` (RequestEvent.RealIP), with the
 * proxies' CIDRs added so that a client reaching the server directly cannot spoof it.
 */
export function clientIpOf(remote: string, headers: IncomingHttpHeaders, trust: TrustedProxy): string {
  const peer = plain(remote);
  if (!trust.headers.length || !isIP(peer)) return peer;
  if (!trust.proxies.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4')) return peer;
  for (const name of trust.headers) {
    const raw = headers[name.toLowerCase()];
    // of a repeated header, the last one is the proxy's own
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (!value) continue;
    const ips = value
      .split(',')
      .map((s) => plain(s.trim()))
      .filter((s) => isIP(s));
    const ip = trust.useLeftmostIp ? ips[0] : ips[ips.length - 1];
    if (ip) return ip;
  }
  return peer;
}

// headers common reverse proxies and CDNs add (PocketBase's list in its health check)
const COMMON_PROXY_HEADERS = ['CF-Connecting-IP', 'Fly-Client-IP', 'X-Forwarded-For'];

/**
 * The first client-address header present on a request, of the configured trusted ones
 * and then the common ones: a hint that the server sits behind a proxy (PocketBase's
 * health `possibleProxyHeader`; its dashboard warns when that header is not configured
 * in `trustedProxy.headers`). Empty when none is present.
 */
export function possibleProxyHeader(headers: IncomingHttpHeaders, trusted: readonly string[]): string {
  for (const name of [...trusted, ...COMMON_PROXY_HEADERS]) {
    if (headers[name.toLowerCase()]) return name;
  }
  return '';
}
