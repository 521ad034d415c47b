/**
 * @module providers/docker/free-network — creates a bridge network on a free `10.x.y.0/24` of this host. Another
 * create running at the same moment may take the subnet just picked (a network still being set up holds its pool
 * before it is listed), so a subnet the engine refuses as overlapping is remembered and another one is picked.
 */
import { hostAddress } from '../../core/cidr.ts';
import { EngineError, type Engine } from '../../docker-api/engine.ts';
import type { Labels } from '../../docker-api/engine-types.ts';
import { pickFreeSubnet, usedSubnets } from './subnets.ts';

export interface FreeNetworkRequest {
  name: string;
  labels: Labels;
  /** A subnet to take if free (a cluster's `fixed_subnet`); refused with an error when it overlaps. */
  preferred?: string | undefined;
  /** Attempts before giving up (20 by default). */
  attempts?: number;
}

export interface CreatedNetwork {
  id: string;
  cidr: string;
  gateway: string;
}

/** True when the engine refused a network because its pool overlaps another one. */
export function isOverlap(e: unknown): boolean {
  return e instanceof EngineError && /overlap/i.test(e.message);
}

export async function createNetworkOnFreeSubnet(host: Engine, req: FreeNetworkRequest): Promise<CreatedNetwork> {
  const refused: string[] = [];
  const attempts = req.attempts ?? 20;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const first = attempt === 0 && req.preferred !== undefined;
    const cidr = first ? req.preferred : pickFreeSubnet([...(await usedSubnets(host)), ...refused]);
    if (!cidr) throw new Error('no free 10.x.y.0/24 subnet left on this host');
    const gateway = hostAddress(cidr, 1);
    try {
      const { Id } = await host.createNetwork({
        Name: req.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        IPAM: { Config: [{ Subnet: cidr, Gateway: gateway }] },
        Labels: req.labels,
      });
      return { id: Id, cidr, gateway };
    } catch (e) {
      if (!isOverlap(e)) throw e;
      if (first) throw new Error(`fixed_subnet ${cidr} overlaps a network in use on this host`, { cause: e });
      refused.push(cidr);
    }
  }
  throw new Error(`could not find a free subnet after ${attempts} attempts`);
}
