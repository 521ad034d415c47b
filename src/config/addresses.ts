/**
 * @module Address rules without I/O: which reverse proxies are trusted (`api.trusted_proxies`, addresses or CIDRs),
 * and whether a bind address is loopback only (noauth refuses anything else unless allowed).
 */
import { BlockList, isIP } from 'node:net';

/** Tells whether a peer address is one of the trusted proxies. */
export type ProxyMatcher = (address: string | undefined) => boolean;

/** An IPv4 peer seen on a dual-stack socket (`::ffff:10.0.0.1`) as its IPv4 address. */
const unmap = (a: string): string => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? a.slice(7) : a);

/** Parses `entries` (addresses or CIDRs); throws naming the first entry that is neither. */
export function trustedProxies(entries: readonly string[]): ProxyMatcher {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const raw of entries) {
    const [addr = '', bits, ...rest] = raw.trim().split('/');
    const a = unmap(addr);
    const family = isIP(a);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d+$/.test(bits ?? '') || prefix > max))) {
      throw new Error(`'${raw}' is not an IP address or CIDR (e.g. 127.0.0.1, 10.0.0.0/8, ::1)`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(a, type);
    else list.addSubnet(a, prefix, type);
  }
  return (address) => {
    if (!address) return false;
    const a = unmap(address);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/** True when `host` (a bind address or host name) can only be reached from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === 'localhost.localdomain' || h.endsWith('.localhost')) return true;
  const a = unmap(h);
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === '0:0:0:0:0:0:0:1';
}
