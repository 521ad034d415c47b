/** @module Builds the driver's view of a cluster from the stored cluster, its template and node groups. */
import { DEFAULT_FLAVORS, flavorLimits, type FlavorTable } from '../core/flavors.ts';
import type { Cluster, ClusterTemplate, Nodegroup } from '../core/types.ts';
import type { ClusterSpec } from '../drivers/contract.ts';

/**
 * The desired state as a driver sees it. Node groups being deleted are left out (the driver removes their nodes).
 * A default node group runs the image of the cluster's current template (an upgrade switches the template); another
 * group runs its own `image_id` (falling back to the template's). A flavor becomes its size from `flavors`; a name the
 * table does not hold (the API refuses those) gives no limits.
 */
export function clusterSpec(
  c: Cluster,
  t: ClusterTemplate,
  ngs: Nodegroup[],
  flavors: FlavorTable = DEFAULT_FLAVORS,
): ClusterSpec {
  return {
    uuid: c.uuid,
    name: c.name,
    projectId: c.project_id,
    coe: t.coe,
    imageId: t.image_id,
    tlsDisabled: t.tls_disabled,
    fixedSubnet: c.fixed_subnet && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c.fixed_subnet) ? c.fixed_subnet : null,
    dnsNameservers: t.dns_nameserver ? t.dns_nameserver.split(',').map((s) => s.trim()) : [],
    networkDriver: t.network_driver,
    masterLbEnabled: c.master_lb_enabled,
    labels: c.labels,
    nodegroups: ngs
      .filter((n) => n.status !== 'DELETE_IN_PROGRESS')
      .map((n) => ({
        name: n.name,
        role: n.role,
        nodeCount: n.node_count,
        flavorId: n.flavor_id,
        flavor: flavorLimits(flavors, n.flavor_id) ?? null,
        imageId: n.is_default ? t.image_id : (n.image_id ?? t.image_id),
        isDefault: n.is_default,
        dockerVolumeSize: n.docker_volume_size,
        labels: n.labels,
      })),
  };
}
