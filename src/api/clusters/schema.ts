/** @module JSON schemas of the cluster resource. */
import { pageQueryProperties } from '../pagination.ts';
import { boolWordQuery } from '../schemas.ts';
import { labelsSchema, MAX_NODES_TO_REMOVE, MAX_STRING } from '../../core/limits.ts';

const str255 = { type: 'string', minLength: 1, maxLength: 255 } as const;
const ro = { readOnly: true } as const;
const ignored = {} as const;

export const clusterCreateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cluster_template_id'],
  properties: {
    cluster_template_id: str255,
    name: { type: 'string', minLength: 1, maxLength: 242, pattern: '^[a-zA-Z][a-zA-Z0-9_.-]*$' },
    keypair: str255,
    node_count: { type: 'integer', minimum: 0 },
    master_count: { type: 'integer', minimum: 1 },
    docker_volume_size: { type: 'integer', minimum: 1 },
    labels: labelsSchema,
    merge_labels: { type: 'boolean' },
    master_flavor_id: str255,
    flavor_id: str255,
    fixed_network: str255,
    fixed_subnet: str255,
    floating_ip_enabled: { type: 'boolean' },
    master_lb_enabled: { type: 'boolean' },
    create_timeout: { type: 'integer', minimum: 0 },
    discovery_url: { type: 'string', maxLength: 255 },
    // Accepted by Magnum's parser and then ignored or overwritten.
    uuid: ignored,
    status: ignored,
    status_reason: ignored,
    health_status: ignored,
    health_status_reason: ignored,
    faults: ignored,
    labels_overridden: ignored,
    labels_added: ignored,
    labels_skipped: ignored,
    // Read-only: refused with 400.
    api_address: ro,
    node_addresses: ro,
    master_addresses: ro,
    stack_id: ro,
    coe_version: ro,
    container_version: ro,
    project_id: ro,
    user_id: ro,
    links: ro,
    created_at: ro,
    updated_at: ro,
  },
} as const;

export const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Event ids are 64-bit serials: any id JavaScript holds exactly.
    after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

export const CLUSTER_SORT_KEYS: ReadonlySet<string> = new Set([
  'id',
  'uuid',
  'name',
  'cluster_template_id',
  'keypair',
  'docker_volume_size',
  'master_flavor_id',
  'flavor_id',
  'create_timeout',
  'stack_id',
  'status',
  'health_status',
  'api_address',
  'project_id',
  'user_id',
  'created_at',
  'updated_at',
]);

export const clusterListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: pageQueryProperties(CLUSTER_SORT_KEYS),
} as const;

/** Query of `PATCH /v1/clusters/{ident}`: `rollback` (a boolean word) from microversion 1.3. */
export const clusterPatchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rollback: boolWordQuery('rollback', 'roll back on failure; microversion ≥ 1.3'),
  },
} as const;

/** Body of `POST /v1/clusters/{ident}/actions/resize` (microversion ≥ 1.7). */
export const resizeBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['node_count'],
  properties: {
    node_count: { type: 'integer', minimum: 0, description: '0 only from microversion 1.10' },
    nodes_to_remove: {
      type: 'array',
      maxItems: MAX_NODES_TO_REMOVE,
      items: { type: 'string', maxLength: MAX_STRING },
    },
    nodegroup: str255,
  },
} as const;

/** Body of `POST /v1/clusters/{ident}/actions/upgrade` (microversion ≥ 1.8). */
export const upgradeBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cluster_template'],
  properties: {
    cluster_template: str255,
    max_batch_size: { type: 'integer', minimum: 1 },
    nodegroup: str255,
  },
} as const;
