/**
 * @module Cluster PATCH as Magnum applies it: JSON PATCH onto the cluster document (node_count = the default worker
 * group's count), then only `node_count`, `health_status` and `health_status_reason` may differ.
 */
import { invalid, invalidField, MagnumError } from './errors.ts';
import { checkDbInt } from './int-bounds.ts';
import { applyPatch, type PatchOp } from './json-patch.ts';
import { normalizeLabels, type Labels } from './labels.ts';
import { HEALTH_REASON_LIMITS } from './limits.ts';
import { HEALTH_STATUSES } from './status.ts';
import type { Cluster, Nodegroup } from './types.ts';

/** Paths a cluster PATCH can never touch (beyond the base list of json-patch.ts). */
export const CLUSTER_PATCH_INTERNAL = [
  '/api_address',
  '/node_addresses',
  '/master_addresses',
  '/stack_id',
  '/ca_cert_ref',
  '/magnum_cert_ref',
  '/trust_id',
  '/trustee_user_name',
  '/trustee_password',
  '/trustee_user_id',
  '/etcd_ca_cert_ref',
  '/front_proxy_ca_cert_ref',
] as const;

const ALLOWED = new Set(['node_count', 'health_status', 'health_status_reason']);

/** What a cluster PATCH asks for. */
export interface ClusterPatch {
  /** New count of the default worker group. */
  nodeCount: number;
  healthStatus: string | null;
  healthStatusReason: Labels | null;
}

/**
 * A legacy view of the cluster document (Magnum's Bay): the patch still applies to the cluster document, but only the
 * view's fields (cluster names) count as changed — a change to any other field, the health fields included, is
 * dropped as Magnum's Bay drops it — and node_count has the view's minimum.
 */
export interface PatchView {
  fields: ReadonlySet<string>;
  minNodeCount: number;
  /** Paths of the view's own mandatory attributes (not removable), e.g. `/baymodel_id`. */
  mandatory: readonly string[];
}

/** Applies `ops` to `doc` (the cluster document) and returns the requested values; 400 for anything else. */
export function patchCluster(
  doc: Record<string, unknown>,
  ops: PatchOp[],
  opts: { zeroNodesAllowed: boolean; view?: PatchView | undefined },
): ClusterPatch {
  const view = opts.view;
  const patched = applyPatch(doc, ops, {
    internal: CLUSTER_PATCH_INTERNAL,
    mandatory: ['/cluster_template_id', ...(view?.mandatory ?? [])],
    mappings: ['/labels', '/health_status_reason'],
    defaults: { node_count: 1, master_count: 1, labels: {}, floating_ip_enabled: true, master_lb_enabled: false },
  });
  const nodeCount = patched.node_count;
  if (typeof nodeCount === 'string') {
    throw invalidField('node_count', nodeCount, "'<' not supported between instances of 'str' and 'int'");
  }
  if (typeof nodeCount !== 'number' || !Number.isInteger(nodeCount))
    throw invalidField('node_count', nodeCount, 'Value should be integer');
  const minNodes = view?.minNodeCount ?? 0;
  if (nodeCount < minNodes)
    throw invalidField('node_count', nodeCount, `Value should be greater or equal to ${minNodes}`);
  checkDbInt('node_count', nodeCount);
  // A view without the health fields keeps the stored ones, whatever the patch made of them.
  const health = view ? doc.health_status : patched.health_status;
  if (health !== null && !(HEALTH_STATUSES as readonly unknown[]).includes(health)) {
    throw invalidField('health_status', health, `Value should be one of: ${HEALTH_STATUSES.join(', ')}`);
  }
  const reason = view ? doc.health_status_reason : patched.health_status_reason;
  if (reason !== null && (typeof reason !== 'object' || Array.isArray(reason))) {
    throw invalidField('health_status_reason', reason, 'Value should be a dictionary of strings.');
  }
  if (patched.labels !== null && typeof patched.labels === 'object')
    patched.labels = normalizeLabels(patched.labels, 'labels', null);
  const changed = Object.keys(patched)
    .filter((k) => !ALLOWED.has(k) && (!view || view.fields.has(k)))
    .filter((k) => JSON.stringify(patched[k]) !== JSON.stringify(doc[k]))
    .sort();
  if (changed.length > 0) throw invalid(`cannot change cluster property(ies) ${changed.join(', ')}.`);
  if (nodeCount === 0 && !opts.zeroNodesAllowed) {
    throw new MagnumError(
      'ZeroNodeCountNotSupported',
      'Resizing a nodegroup to zero is not supported in the provided microversion.',
    );
  }
  return {
    nodeCount,
    healthStatus: (health as string | null) ?? null,
    healthStatusReason: reason === null ? null : normalizeLabels(reason, 'health_status_reason', HEALTH_REASON_LIMITS),
  };
}

/** The document a cluster PATCH applies to: the stored cluster with node_count = the default worker group's count. */
export function clusterDocument(
  c: Cluster,
  ngs: readonly Nodegroup[],
  defaultWorkerCount: number,
): Record<string, unknown> {
  const masters = ngs.filter((n) => n.role === 'master');
  const workers = ngs.filter((n) => n.role !== 'master');
  const { id: _id, driver_state: _state, ...rest } = c;
  return {
    ...rest,
    node_count: defaultWorkerCount,
    master_count: masters.reduce((a, n) => a + n.node_count, 0),
    node_addresses: workers.flatMap((n) => n.node_addresses),
    master_addresses: masters.flatMap((n) => n.node_addresses),
  };
}
