/** @module providers/docker/subnets: picking a free /24 for a cluster's node network. */
import { formatCidr, parseCidr, type Range } from '../../core/cidr.ts';
import type { Engine } from '../../docker-api/engine.ts';

export { hostAddress, parseCidr } from '../../core/cidr.ts';

/** Ranges no node network may overlap: the inner swarms' address pool, and Docker's default ingress subnet. */
const RESERVED: readonly string[] = ['10.128.0.0/9', '10.0.0.0/24'];

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
