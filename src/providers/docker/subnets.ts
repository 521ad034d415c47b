/** @module providers/docker/subnets: picking a free /24 for a cluster's node network. */
import type { Engine } from './engine.ts';

/** An IPv4 range as [first, last] address numbers. */
type Range = readonly [number, number];

/** Ranges no node network may overlap: the inner swarms' address pool, and Docker's default ingress subnet. */
const RESERVED: readonly string[] = ['10.128.0.0/9', '10.0.0.0/24'];

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

function formatCidr(first: number, bits: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256);
  return `${octets.join('.')}/${bits}`;
}

function overlaps(a: Range, b: Range): boolean {
  return a[0] <= b[1] && b[0] <= a[1];
}

/**
 * The first free `10.10.N.0/24` … `10.99.255.0/24` that overlaps none of the `used` CIDRs (entries that are not IPv4
 * CIDRs are ignored), or null if all are taken. Never inside 10.128.0.0/9, never 10.0.0.0/24. A `preferred` CIDR is
 * returned (in canonical form) when it is a valid IPv4 CIDR, free and outside those reserved ranges; otherwise the
 * search runs as if it had not been given.
 */
export function pickFreeSubnet(used: readonly string[], preferred?: string): string | null {
  const taken: Range[] = [];
  for (const cidr of [...used, ...RESERVED]) {
    const r = parseCidr(cidr);
    if (r) taken.push(r);
  }
  const isFree = (r: Range): boolean => !taken.some((t) => overlaps(r, t));
  if (preferred !== undefined) {
    const r = parseCidr(preferred);
    const bits = Number(preferred.trim().split('/')[1]);
    if (r && isFree(r)) return formatCidr(r[0], bits);
  }
  for (let second = 10; second <= 99; second++) {
    for (let third = 0; third <= 255; third++) {
      const first = ((10 * 256 + second) * 256 + third) * 256;
      if (isFree([first, first + 255])) return formatCidr(first, 24);
    }
  }
  return null;
}

/** The IPAM subnets of all networks the engine knows (IPv4 and IPv6, as reported). */
export async function usedSubnets(engine: Engine): Promise<string[]> {
  const networks = await engine.listNetworks([]);
  const out: string[] = [];
  for (const n of networks) {
    for (const c of n.IPAM?.Config ?? []) {
      if (c.Subnet) out.push(c.Subnet);
    }
  }
  return out;
}

/** The `n`-th address of an IPv4 subnet (`hostAddress('10.10.3.0/24', 10)` → `10.10.3.10`). */
export function hostAddress(cidr: string, n: number): string {
  const r = parseCidr(cidr);
  if (!r) throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  const addr = r[0] + n;
  if (n < 1 || addr >= r[1]) throw new RangeError(`host ${n} is outside ${cidr}`);
  return formatCidr(addr, 32).replace(/\/32$/, '');
}
