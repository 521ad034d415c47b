/** @module How a new cluster inherits from its template, and the two default node groups it starts with. */
import { randomUUID } from 'node:crypto';
import { invalid, MagnumError } from './errors.ts';
import { checkMapSize, normalizeLabels } from './labels.ts';
import { LABEL_LIMITS } from './limits.ts';
import { generateName } from './names.ts';
import type { Caller, Cluster, ClusterTemplate, Nodegroup } from './types.ts';

/** Default `create_timeout` in minutes (also what 0 means). */
export const DEFAULT_CREATE_TIMEOUT = 60;

/** A validated create body (after coercion and schema validation). */
export interface ClusterCreateBody {
  cluster_template_id: string;
  name?: string;
  keypair?: string;
  node_count?: number;
  master_count?: number;
  docker_volume_size?: number;
  labels?: Record<string, unknown>;
  merge_labels?: boolean;
  master_flavor_id?: string;
  flavor_id?: string;
  fixed_network?: string;
  fixed_subnet?: string;
  floating_ip_enabled?: boolean;
  master_lb_enabled?: boolean;
  create_timeout?: number;
  discovery_url?: string;
}

/** Builds the cluster row and its default-master / default-worker node groups, applying Magnum's inheritance rules. */
export function newCluster(
  t: ClusterTemplate,
  b: ClusterCreateBody,
  caller: Caller,
  opts: { zeroNodesAllowed: boolean; now: string },
): { cluster: Omit<Cluster, 'id'>; nodegroups: Omit<Nodegroup, 'id'>[] } {
  const nodeCount = b.node_count ?? 1;
  const masterCount = b.master_count ?? 1;
  if (nodeCount === 0 && !opts.zeroNodesAllowed) {
    throw new MagnumError(
      'ZeroNodeCountNotSupported',
      'Resizing a nodegroup to zero is not supported in the provided microversion.',
    );
  }
  const own = b.labels === undefined ? {} : normalizeLabels(b.labels);
  const labels = Object.keys(own).length === 0 ? { ...t.labels } : b.merge_labels ? { ...t.labels, ...own } : own;
  checkMapSize('labels', labels, LABEL_LIMITS, "after merging with the cluster template's labels");
  const masterLb = b.master_lb_enabled ?? t.master_lb_enabled;
  if (masterCount > 1 && !masterLb) throw invalid('master_count must be 1 when master_lb_enabled is False');
  const volume = b.docker_volume_size || t.docker_volume_size;
  if (t.docker_storage_driver === 'devicemapper' && (!volume || volume < 3)) {
    throw invalid(
      `docker volume size ${volume ?? 'None'} GB is not valid, expecting minimum value 3GB for devicemapper storage driver.`,
    );
  }
  const minNodes = labelInt(labels, 'min_node_count') ?? 0;
  const maxNodes = labelInt(labels, 'max_node_count') ?? null;
  if (nodeCount < minNodes || (maxNodes !== null && nodeCount > maxNodes)) {
    throw invalid(
      `node_count ${nodeCount} is outside the allowed range: min_node_count = ${minNodes}, max_node_count = ${maxNodes ?? 'None'}`,
    );
  }
  const uuid = randomUUID();
  const cluster: Omit<Cluster, 'id'> = {
    uuid,
    name: b.name ?? generateName('cluster'),
    project_id: caller.projectId,
    user_id: caller.userId,
    cluster_template_id: t.uuid,
    keypair: b.keypair ?? t.keypair_id,
    docker_volume_size: volume ?? null,
    labels,
    master_flavor_id: b.master_flavor_id || t.master_flavor_id,
    flavor_id: b.flavor_id || t.flavor_id,
    create_timeout: b.create_timeout || DEFAULT_CREATE_TIMEOUT,
    stack_id: null,
    status: 'CREATE_IN_PROGRESS',
    status_reason: null,
    health_status: null,
    health_status_reason: null,
    discovery_url: b.discovery_url ?? null,
    api_address: null,
    coe_version: null,
    container_version: null,
    fixed_network: b.fixed_network || t.fixed_network,
    fixed_subnet: b.fixed_subnet || t.fixed_subnet,
    floating_ip_enabled: b.floating_ip_enabled ?? t.floating_ip_enabled,
    master_lb_enabled: masterLb,
    driver_state: {},
    created_at: opts.now,
    updated_at: null,
  };
  const group = (
    name: string,
    role: string,
    count: number,
    flavor: string | null,
    min: number,
    max: number | null,
  ): Omit<Nodegroup, 'id'> => ({
    uuid: randomUUID(),
    cluster_id: uuid,
    project_id: caller.projectId,
    name,
    docker_volume_size: cluster.docker_volume_size,
    labels,
    flavor_id: flavor,
    image_id: t.image_id,
    node_addresses: [],
    node_count: count,
    role,
    min_node_count: min,
    max_node_count: max,
    is_default: true,
    stack_id: null,
    status: 'CREATE_IN_PROGRESS',
    status_reason: null,
    version: null,
    created_at: opts.now,
    updated_at: null,
  });
  return {
    cluster,
    nodegroups: [
      group('default-master', 'master', masterCount, cluster.master_flavor_id, 1, null),
      group('default-worker', 'worker', nodeCount, cluster.flavor_id, minNodes, maxNodes),
    ],
  };
}

function labelInt(labels: Record<string, string>, key: string): number | undefined {
  const v = labels[key];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw invalid(`Label ${key} must be a non-negative integer, got '${v}'.`);
  return Number(v);
}
