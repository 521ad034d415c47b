/** @module A cluster as Magnum's legacy Bay shows it: the cluster views under the old names and fields. */
import type { Cluster, Nodegroup } from '../../core/types.ts';
import { clusterDetail, clusterListItem } from '../clusters/view.ts';
import { selfLinks } from '../links.ts';

/** The fields of a `GET /v1/bays` item. Bug matched: `floating_ip_enabled` is always true (wsme emits the default). */
export function bayListItem(c: Cluster, ngs: Nodegroup[], base: string): Record<string, unknown> {
  const i = clusterListItem(c, ngs, base);
  return {
    uuid: i.uuid,
    name: i.name,
    baymodel_id: i.cluster_template_id,
    node_count: i.node_count,
    master_count: i.master_count,
    docker_volume_size: i.docker_volume_size,
    labels: i.labels,
    master_flavor_id: i.master_flavor_id,
    flavor_id: i.flavor_id,
    bay_create_timeout: i.create_timeout,
    links: selfLinks(base, `bays/${c.uuid}`),
    stack_id: i.stack_id,
    status: i.status,
    floating_ip_enabled: true,
  };
}

/** The detail form (`GET /v1/bays/detail` items, GET one, the 1.1 create and update answers); `bay_faults` only on GET one of a failed bay. */
export function bayDetail(c: Cluster, ngs: Nodegroup[], base: string, withFaults: boolean): Record<string, unknown> {
  const d = clusterDetail(c, ngs, {}, base, withFaults);
  return {
    uuid: d.uuid,
    name: d.name,
    baymodel_id: d.cluster_template_id,
    node_count: d.node_count,
    master_count: d.master_count,
    docker_volume_size: d.docker_volume_size,
    labels: d.labels,
    master_flavor_id: d.master_flavor_id,
    flavor_id: d.flavor_id,
    bay_create_timeout: d.create_timeout,
    links: selfLinks(base, `bays/${c.uuid}`),
    stack_id: d.stack_id,
    status: d.status,
    status_reason: d.status_reason,
    discovery_url: d.discovery_url,
    api_address: d.api_address,
    coe_version: d.coe_version,
    container_version: d.container_version,
    node_addresses: d.node_addresses,
    master_addresses: d.master_addresses,
    ...(d.faults === undefined ? {} : { bay_faults: d.faults }),
    fixed_network: d.fixed_network,
    fixed_subnet: d.fixed_subnet,
    floating_ip_enabled: d.floating_ip_enabled,
    master_lb_enabled: d.master_lb_enabled,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}
