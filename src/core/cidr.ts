/** @module IPv4 CIDR arithmetic (pure): parsing a CIDR, formatting one, and the n-th address of a subnet. */

/** An IPv4 range as [first, last] address numbers. */
export type Range = readonly [number, number];

/** Parses an IPv4 CIDR (`10.10.3.0/24`) into its address range; null if it is not one (IPv6, malformed). */
export function parseCidr(cidr: string): Range | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return null;
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(addr / size) * size;
  return [first, first + size - 1];
}

/** `first`/`bits` as a CIDR string. */
export function formatCidr(first: number, bits: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256);
  return `${octets.join('.')}/${bits}`;
}

/** The `n`-th address of an IPv4 subnet (`hostAddress('10.10.3.0/24', 10)` → `10.10.3.10`). */
export function hostAddress(cidr: string, n: number): string {
  const r = parseCidr(cidr);
  if (!r) throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  const addr = r[0] + n;
  if (n < 1 || addr >= r[1]) throw new RangeError(`host ${n} is outside ${cidr}`);
  return formatCidr(addr, 32).replace(/\/32$/, '');
}
