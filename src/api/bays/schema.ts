/**
 * @module The body of Magnum's legacy Bay: a cluster create under the old names (`baymodel_id`, `bay_create_timeout`),
 * `node_count` of at least 1, no `keypair` (the baymodel's is used), no `merge_labels` and no health fields.
 */
import { CLUSTER_STATUSES } from '../../core/status.ts';
import { uuidAttribute } from '../cluster-templates/schema.ts';
import { clusterCreateSchema } from '../clusters/schema.ts';

const c = clusterCreateSchema.properties;
const ignored = {} as const;
const ro = { readOnly: true } as const;

export const bayCreateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['baymodel_id'],
  properties: {
    // Checked as Magnum's Bay type checks them, then overwritten (uuid) or ignored (status).
    uuid: uuidAttribute,
    name: c.name,
    baymodel_id: c.cluster_template_id,
    node_count: { type: 'integer', minimum: 1 },
    master_count: c.master_count,
    docker_volume_size: c.docker_volume_size,
    labels: c.labels,
    master_flavor_id: c.master_flavor_id,
    flavor_id: c.flavor_id,
    bay_create_timeout: c.create_timeout,
    status: { type: 'string', enum: [...CLUSTER_STATUSES] },
    status_reason: ignored,
    discovery_url: c.discovery_url,
    bay_faults: ignored,
    fixed_network: c.fixed_network,
    fixed_subnet: c.fixed_subnet,
    floating_ip_enabled: c.floating_ip_enabled,
    master_lb_enabled: c.master_lb_enabled,
    // Read-only: refused with 400.
    links: ro,
    stack_id: ro,
    api_address: ro,
    coe_version: ro,
    container_version: ro,
    node_addresses: ro,
    master_addresses: ro,
    created_at: ro,
    updated_at: ro,
  },
} as const;

/** A bay create body as parsed. */
export interface BayCreateBody {
  baymodel_id: string;
  name?: string;
  node_count?: number;
  master_count?: number;
  docker_volume_size?: number;
  labels?: Record<string, unknown>;
  master_flavor_id?: string;
  flavor_id?: string;
  bay_create_timeout?: number;
  discovery_url?: string;
  fixed_network?: string;
  fixed_subnet?: string;
  floating_ip_enabled?: boolean;
  master_lb_enabled?: boolean;
}

/**
 * The cluster fields a Bay shows (under its names), for PATCH: only a change to one of these counts (400 unless it is
 * node_count); a change to any other cluster field (keypair, health_status, …) is dropped, as Magnum's Bay drops it.
 */
export const BAY_PATCH_FIELDS: ReadonlySet<string> = new Set([
  'uuid',
  'name',
  'cluster_template_id',
  'node_count',
  'master_count',
  'docker_volume_size',
  'labels',
  'master_flavor_id',
  'flavor_id',
  'create_timeout',
  'stack_id',
  'status',
  'status_reason',
  'discovery_url',
  'api_address',
  'coe_version',
  'container_version',
  'node_addresses',
  'master_addresses',
  'fixed_network',
  'fixed_subnet',
  'floating_ip_enabled',
  'master_lb_enabled',
  'created_at',
  'updated_at',
]);
