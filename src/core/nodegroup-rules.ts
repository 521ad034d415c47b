/** @module Node group rules from Magnum's API: defaults of a new group, the count rules (409) and resize bounds (400). */
import { randomUUID } from 'node:crypto';
import { conflict, MagnumError } from './errors.ts';
import { checkMapSize, normalizeLabels } from './labels.ts';
import { LABEL_LIMITS } from './limits.ts';
import type { Cluster, Nodegroup } from './types.ts';

/** A validated node group create body (after coercion and schema validation). */
export interface NodegroupCreateBody {
  name: string;
  node_count?: number;
  min_node_count?: number;
  max_node_count?: number;
  flavor_id?: string;
  image_id?: string;
  docker_volume_size?: number;
  labels?: Record<string, unknown>;
  role?: string;
  merge_labels?: boolean;
}

/** The counts the rules look at. */
export interface NodeCounts {
  name: string;
  node_count: number;
  min_node_count: number;
  max_node_count: number | null;
}

/**
 * Magnum's `_validate_node_count`: min ≤ max, node_count ≤ max (a max of 0 or null means "no maximum", as Python's
 * truthiness has it), min ≤ node_count. Each violation is a 409 NodeGroupInvalidInput.
 */
export function checkNodeCounts(ng: NodeCounts): void {
  const bad = (attr: string, expl: string): MagnumError =>
    conflict('NodeGroupInvalidInput', `${attr} for ${ng.name} is invalid (${expl}).`);
  if (ng.max_node_count) {
    if (ng.max_node_count < ng.min_node_count) {
      throw bad(
        'max_node_count',
        `min_node_count (${ng.min_node_count}) should be less or equal to max_node_count (${ng.max_node_count})`,
      );
    }
    if (ng.node_count > ng.max_node_count) {
      throw bad(
        'max_node_count',
        `node_count (${ng.node_count}) should be less or equal to max_node_count (${ng.max_node_count})`,
      );
    }
  }
  if (ng.min_node_count > ng.node_count) {
    throw bad(
      'min_node_count',
      `min_node_count (${ng.min_node_count}) should be less or equal to node_count (${ng.node_count})`,
    );
  }
}

/** Resize checks of `actions/resize`: master groups cannot be resized; the new count must respect min/max (400). */
export function checkResize(ng: NodeCounts & { role: string }, nodeCount: number): void {
  if (ng.role === 'master')
    throw new MagnumError('MasterNGResizeNotSupported', 'Resizing a master nodegroup is not supported.');
  if (nodeCount < ng.min_node_count || (ng.max_node_count && nodeCount > ng.max_node_count)) {
    throw new MagnumError(
      'NGResizeOutBounds',
      `Resizing ${ng.name} outside the allowed range: min_node_count = ${ng.min_node_count}, max_node_count = ${ng.max_node_count ?? 'None'}`,
    );
  }
}

/** Builds the new (non-default) node group of `cluster`: flavor, image, volume size and labels default to the cluster's. */
export function newNodegroup(
  cluster: Cluster,
  templateImageId: string,
  b: NodegroupCreateBody,
  now: string,
): Omit<Nodegroup, 'id'> {
  const own = b.labels === undefined ? undefined : normalizeLabels(b.labels);
  const labels = own === undefined ? { ...cluster.labels } : b.merge_labels ? { ...cluster.labels, ...own } : own;
  checkMapSize('labels', labels, LABEL_LIMITS, "after merging with the cluster's labels");
  return {
    uuid: randomUUID(),
    cluster_id: cluster.uuid,
    project_id: cluster.project_id,
    name: b.name,
    docker_volume_size: b.docker_volume_size ?? cluster.docker_volume_size,
    labels,
    flavor_id: b.flavor_id ?? cluster.flavor_id,
    image_id: b.image_id ?? templateImageId,
    node_addresses: [],
    node_count: b.node_count ?? 1,
    role: b.role ?? 'worker',
    min_node_count: b.min_node_count ?? 0,
    max_node_count: b.max_node_count ?? null,
    is_default: false,
    stack_id: null,
    status: 'CREATE_IN_PROGRESS',
    status_reason: null,
    version: null,
    created_at: now,
    updated_at: null,
  };
}

/** Magnum's `cluster.default_ng_worker`: the first default node group that is not a master group. */
export function defaultWorker(ngs: readonly Nodegroup[]): Nodegroup | undefined {
  return ngs.find((n) => n.is_default && n.role !== 'master');
}
