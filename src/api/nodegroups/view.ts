/** @module A node group as the API shows it: the full form and the list item (with Magnum's default-valued min/max). */
import { labelsDiff } from '../../core/labels.ts';
import type { Cluster, Nodegroup } from '../../core/types.ts';
import { isoTime, selfLinks } from '../links.ts';

/** GET one, and the create / update responses. */
export function nodegroupView(ng: Nodegroup, c: Cluster, base: string): Record<string, unknown> {
  const diff = labelsDiff(c.labels, ng.labels);
  return {
    id: ng.id,
    uuid: ng.uuid,
    name: ng.name,
    cluster_id: ng.cluster_id,
    project_id: ng.project_id,
    docker_volume_size: ng.docker_volume_size,
    labels: ng.labels,
    labels_overridden: diff.overridden,
    labels_added: diff.added,
    labels_skipped: diff.skipped,
    flavor_id: ng.flavor_id,
    image_id: ng.image_id,
    node_addresses: ng.node_addresses,
    node_count: ng.node_count,
    role: ng.role,
    max_node_count: ng.max_node_count,
    min_node_count: ng.min_node_count,
    is_default: ng.is_default,
    stack_id: ng.stack_id,
    status: ng.status,
    status_reason: ng.status_reason,
    version: ng.version,
    merge_labels: false,
    links: selfLinks(base, `clusters/${c.uuid}/nodegroups/${ng.uuid}`),
    created_at: isoTime(ng.created_at),
    updated_at: isoTime(ng.updated_at),
  };
}

/**
 * A `GET …/nodegroups` item. Magnum's list view unsets min/max, so its serializer emits their defaults
 * (`min_node_count: 0`, `max_node_count: null`) whatever is stored; clients rely on the shape, so Magnetar matches it.
 */
export function nodegroupListItem(ng: Nodegroup): Record<string, unknown> {
  return {
    uuid: ng.uuid,
    name: ng.name,
    flavor_id: ng.flavor_id,
    image_id: ng.image_id,
    node_count: ng.node_count,
    role: ng.role,
    is_default: ng.is_default,
    status: ng.status,
    stack_id: ng.stack_id,
    max_node_count: null,
    min_node_count: 0,
    merge_labels: false,
  };
}
