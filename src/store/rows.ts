/**
 * @module Converts rows to domain records and back (0/1 ↔ boolean, JSON text ↔ objects). Decoding is strict
 * (row-decode.ts): a row with an inexact integer or broken JSON throws UnreadableRowError naming it.
 */
import type { Selectable } from 'kysely';
import type {
  Cluster,
  ClusterEvent,
  ClusterTemplate,
  EventLevel,
  Nodegroup,
  Operation,
  OperationKind,
  OperationPayload,
  OperationState,
} from '../core/types.ts';
import type {
  ClusterEventTable,
  ClusterTable,
  ClusterTemplateTable,
  NodegroupTable,
  OperationTable,
} from './schema.ts';
import { decodeRow, int, intOrNull, json } from './row-decode.ts';

const bool = (v: number | boolean): boolean => v === 1 || v === true;

export const BOOL_TEMPLATE_FIELDS = [
  'registry_enabled',
  'tls_disabled',
  'public',
  'hidden',
  'master_lb_enabled',
  'floating_ip_enabled',
] as const;

/**
 * Every field copied by name, not `...r`: node:sqlite rows are dictionary-mode objects, and spreading them made this
 * the largest cost of listing templates (bench/api); a literal gives the record one fixed shape.
 */
export function toTemplate(r: Selectable<ClusterTemplateTable>): ClusterTemplate {
  return templateOf(r, () => json(r.labels, 'labels', 'object', {}));
}

/**
 * {@link toTemplate} with the labels left unparsed (`{}`), for a list that renders their stored text as is: the text
 * is only checked to be an object's (`{…}`), not parsed.
 */
export function toTemplateWithoutLabels(r: Selectable<ClusterTemplateTable>): ClusterTemplate {
  return templateOf(r, () => {
    const t = r.labels;
    if (t !== '' && (typeof t !== 'string' || !t.startsWith('{') || !t.endsWith('}')))
      throw new Error('labels is not a JSON object');
    return {};
  });
}

function templateOf(r: Selectable<ClusterTemplateTable>, labels: () => ClusterTemplate['labels']): ClusterTemplate {
  return decodeRow(`cluster template ${r.uuid}`, () => ({
    id: int(r.id, 'id'),
    uuid: r.uuid,
    name: r.name,
    project_id: r.project_id,
    user_id: r.user_id,
    coe: r.coe,
    image_id: r.image_id,
    flavor_id: r.flavor_id,
    master_flavor_id: r.master_flavor_id,
    keypair_id: r.keypair_id,
    dns_nameserver: r.dns_nameserver,
    external_network_id: r.external_network_id,
    fixed_network: r.fixed_network,
    fixed_subnet: r.fixed_subnet,
    network_driver: r.network_driver,
    volume_driver: r.volume_driver,
    apiserver_port: intOrNull(r.apiserver_port, 'apiserver_port'),
    docker_volume_size: intOrNull(r.docker_volume_size, 'docker_volume_size'),
    docker_storage_driver: r.docker_storage_driver,
    cluster_distro: r.cluster_distro,
    http_proxy: r.http_proxy,
    https_proxy: r.https_proxy,
    no_proxy: r.no_proxy,
    registry_enabled: bool(r.registry_enabled),
    insecure_registry: r.insecure_registry,
    labels: labels(),
    tls_disabled: bool(r.tls_disabled),
    public: bool(r.public),
    hidden: bool(r.hidden),
    server_type: r.server_type,
    master_lb_enabled: bool(r.master_lb_enabled),
    floating_ip_enabled: bool(r.floating_ip_enabled),
    tags: r.tags,
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
}

/** The columns of a template record (everything but id). */
export function fromTemplate(t: Omit<ClusterTemplate, 'id'>): Omit<ClusterTemplateTable, 'id'> {
  return {
    ...t,
    labels: JSON.stringify(t.labels),
    registry_enabled: t.registry_enabled ? 1 : 0,
    tls_disabled: t.tls_disabled ? 1 : 0,
    public: t.public ? 1 : 0,
    hidden: t.hidden ? 1 : 0,
    master_lb_enabled: t.master_lb_enabled ? 1 : 0,
    floating_ip_enabled: t.floating_ip_enabled ? 1 : 0,
  };
}

export function toCluster(r: Selectable<ClusterTable>): Cluster {
  return decodeRow(
    `cluster ${r.uuid}`,
    () => ({
      ...r,
      id: int(r.id, 'id'),
      docker_volume_size: intOrNull(r.docker_volume_size, 'docker_volume_size'),
      create_timeout: int(r.create_timeout, 'create_timeout'),
      labels: json(r.labels, 'labels', 'object', {}),
      health_status_reason: json(r.health_status_reason, 'health_status_reason', 'object', null),
      floating_ip_enabled: bool(r.floating_ip_enabled),
      master_lb_enabled: bool(r.master_lb_enabled),
      driver_state: json(r.driver_state, 'driver_state', 'object', {}),
    }),
    r.uuid,
  );
}

export function fromCluster(c: Omit<Cluster, 'id'>): Omit<ClusterTable, 'id'> {
  return {
    ...c,
    labels: JSON.stringify(c.labels),
    health_status_reason: c.health_status_reason === null ? null : JSON.stringify(c.health_status_reason),
    floating_ip_enabled: c.floating_ip_enabled ? 1 : 0,
    master_lb_enabled: c.master_lb_enabled ? 1 : 0,
    driver_state: JSON.stringify(c.driver_state),
  };
}

export function toNodegroup(r: Selectable<NodegroupTable>): Nodegroup {
  return decodeRow(
    `node group ${r.uuid}`,
    () => ({
      ...r,
      id: int(r.id, 'id'),
      docker_volume_size: intOrNull(r.docker_volume_size, 'docker_volume_size'),
      node_count: int(r.node_count, 'node_count'),
      min_node_count: int(r.min_node_count, 'min_node_count'),
      max_node_count: intOrNull(r.max_node_count, 'max_node_count'),
      labels: json(r.labels, 'labels', 'object', {}),
      node_addresses: json(r.node_addresses, 'node_addresses', 'array', []),
      is_default: bool(r.is_default),
    }),
    r.cluster_id,
  );
}

export function fromNodegroup(n: Omit<Nodegroup, 'id'>): Omit<NodegroupTable, 'id'> {
  return {
    ...n,
    labels: JSON.stringify(n.labels),
    node_addresses: JSON.stringify(n.node_addresses),
    is_default: n.is_default ? 1 : 0,
  };
}

export function toOperation(r: Selectable<OperationTable>): Operation {
  return decodeRow(
    `operation ${r.uuid}`,
    () => ({
      id: int(r.id, 'id'),
      uuid: r.uuid,
      cluster_id: r.cluster_id,
      kind: r.kind as OperationKind,
      state: r.state as OperationState,
      owner: r.owner,
      lease_until: intOrNull(r.lease_until, 'lease_until'),
      not_before: int(r.not_before, 'not_before'),
      deadline: int(r.deadline, 'deadline'),
      attempt: int(r.attempt, 'attempt'),
      phase: r.phase,
      error: r.error,
      payload: json<OperationPayload>(r.payload, 'payload', 'object', {}),
      created_at: r.created_at,
    }),
    r.cluster_id,
  );
}

export function toEvent(r: Selectable<ClusterEventTable>): ClusterEvent {
  return decodeRow(
    `cluster event of ${r.cluster_id}`,
    () => ({ ...r, id: int(r.id, 'id'), level: r.level as EventLevel }),
    r.cluster_id,
  );
}
