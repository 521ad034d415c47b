/** @module Builds the driver's view of a cluster from the stored cluster, its template and node groups. */
import type { Cluster, ClusterTemplate, Nodegroup } from '../core/types.ts';
import type { ClusterSpec } from '../drivers/contract.ts';

export function clusterSpec(c: Cluster, t: ClusterTemplate, ngs: Nodegroup[]): ClusterSpec {
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
    labels: c.labels,
    // Node groups being deleted are no longer wanted: the driver removes their nodes.
    nodegroups: ngs.filter((n) => n.status !== 'DELETE_IN_PROGRESS').map((n) => ({
      name: n.name,
      role: n.role,
      nodeCount: n.node_count,
      flavorId: n.flavor_id,
      imageId: n.image_id ?? t.image_id,
      dockerVolumeSize: n.docker_volume_size,
      labels: n.labels,
    })),
  };
}
