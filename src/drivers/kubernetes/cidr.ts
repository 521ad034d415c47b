/** @module IPv4 CIDR arithmetic the Kubernetes driver needs: parse, overlap, containment, the n-th address. Pure. */

/** An IPv4 network: its first address (as a number), its prefix length, and its canonical text. */
export interface Ipv4Net {
  first: number;
  last: number;
  bits: number;
  text: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** An IPv4 address as a number; undefined if `text` is not a dotted quad. */
export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * Parses `a.b.c.d/n`. Undefined when it is not an IPv4 CIDR or when host bits are set (`10.0.0.1/16`): Kubernetes
 * refuses those for its ranges, so they are refused here rather than silently truncated.
 */
export function parseCidr(text: string): Ipv4Net | undefined {
  const [addr, len, ...rest] = text.trim().split('/');
  if (rest.length > 0 || addr === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const bits = Number(len);
  const first = parseIpv4(addr);
  if (first === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  if (first % size !== 0) return undefined;
  return { first, last: first + size - 1, bits, text: `${formatIpv4(first)}/${bits}` };
}

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function contains(net: Ipv4Net, ip: number): boolean {
  return ip >= net.first && ip <= net.last;
}

/** The n-th address of a network (1 = the first usable one); throws a RangeError when it is outside. */
export function nthAddress(net: Ipv4Net, n: number): string {
  const ip = net.first + n;
  if (n < 0 || ip > net.last) throw new RangeError(`${net.text} has no address number ${n}`);
  return formatIpv4(ip);
}
