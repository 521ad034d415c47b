/** @module A cluster as the API shows it: the list item and the detail form (with label diffs and faults). */
import { labelsDiff, type Labels } from '../../core/labels.ts';
import { FAILED_STATUSES } from '../../core/status.ts';
import type { Cluster, Nodegroup } from '../../core/types.ts';
import { isoTime, selfLinks } from '../links.ts';

const sum = (ngs: Nodegroup[], master: boolean): number =>
  ngs.filter((n) => (n.role === 'master') === master).reduce((a, n) => a + n.node_count, 0);

/** The fields of a `GET /v1/clusters` item. */
export function clusterListItem(c: Cluster, ngs: Nodegroup[], base: string): Record<string, unknown> {
  return {
    uuid: c.uuid,
    name: c.name,
    cluster_template_id: c.cluster_template_id,
    keypair: c.keypair,
    docker_volume_size: c.docker_volume_size,
    labels: c.labels,
    node_count: sum(ngs, false),
    master_count: sum(ngs, true),
    status: c.status,
    health_status: c.health_status,
    master_flavor_id: c.master_flavor_id,
    flavor_id: c.flavor_id,
    create_timeout: c.create_timeout,
    stack_id: c.stack_id,
    links: selfLinks(base, `clusters/${c.uuid}`),
    merge_labels: false,
  };
}

/** The detail form; `withFaults` only for GET one. */
export function clusterDetail(
  c: Cluster,
  ngs: Nodegroup[],
  templateLabels: Labels,
  base: string,
  withFaults: boolean,
): Record<string, unknown> {
  const diff = labelsDiff(templateLabels, c.labels);
  const addresses = (master: boolean): string[] =>
    ngs.filter((n) => (n.role === 'master') === master).flatMap((n) => n.node_addresses);
  const out: Record<string, unknown> = {
    ...clusterListItem(c, ngs, base),
    labels_overridden: diff.overridden,
    labels_added: diff.added,
    labels_skipped: diff.skipped,
    status_reason: c.status_reason,
    health_status_reason: c.health_status_reason,
    discovery_url: c.discovery_url,
    api_address: c.api_address,
    coe_version: c.coe_version,
    container_version: c.container_version,
    node_addresses: addresses(false),
    master_addresses: addresses(true),
    fixed_network: c.fixed_network,
    fixed_subnet: c.fixed_subnet,
    floating_ip_enabled: c.floating_ip_enabled,
    master_lb_enabled: c.master_lb_enabled,
    project_id: c.project_id,
    user_id: c.user_id,
    created_at: isoTime(c.created_at),
    updated_at: isoTime(c.updated_at),
  };
  if (withFaults && FAILED_STATUSES.has(c.status)) {
    out.faults = Object.fromEntries(
      ngs.filter((n) => n.status.endsWith('FAILED')).map((n) => [n.name, n.status_reason]),
    );
  }
  return out;
}
