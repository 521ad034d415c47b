/** @module JSON schemas of the node group resource (validation and OpenAPI). */
import { pageQueryProperties } from '../pagination.ts';
import { labelsSchema, MAX_STRING } from '../../core/limits.ts';

const str255 = { type: 'string', minLength: 1, maxLength: 255 } as const;
const ro = { readOnly: true } as const;

export const nodegroupParams = {
  type: 'object',
  additionalProperties: false,
  required: ['ident', 'nodegroup'],
  properties: {
    ident: { type: 'string', minLength: 1, description: 'cluster uuid or name' },
    nodegroup: { type: 'string', minLength: 1, description: 'node group id, uuid or name' },
  },
} as const;

/** Body of `POST /v1/clusters/{ident}/nodegroups`. */
export const nodegroupCreateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: str255,
    node_count: { type: 'integer', minimum: 0 },
    min_node_count: { type: 'integer', minimum: 0 },
    max_node_count: { type: 'integer', minimum: 0 },
    flavor_id: str255,
    image_id: str255,
    docker_volume_size: { type: 'integer', minimum: 1 },
    labels: labelsSchema,
    role: str255,
    merge_labels: { type: 'boolean' },
    // Accepted by Magnum's parser and then ignored or overwritten.
    uuid: {},
    cluster_id: {},
    is_default: {},
    status: {},
    status_reason: {},
    version: {},
    labels_overridden: {},
    labels_added: {},
    labels_skipped: {},
    // Read-only: refused with 400.
    id: ro,
    project_id: ro,
    node_addresses: ro,
    stack_id: ro,
    links: ro,
    created_at: ro,
    updated_at: ro,
  },
} as const;

/** A node group after a PATCH is re-validated: min/max are the only writable values. */
export const nodegroupBoundsSchema = {
  type: 'object',
  properties: {
    min_node_count: { type: 'integer', minimum: 0 },
    max_node_count: { type: ['integer', 'null'], minimum: 0 },
  },
} as const;

/** Columns a node group list can be sorted by. */
export const NODEGROUP_SORT_KEYS: ReadonlySet<string> = new Set([
  'id',
  'uuid',
  'name',
  'cluster_id',
  'project_id',
  'docker_volume_size',
  'labels',
  'flavor_id',
  'image_id',
  'node_addresses',
  'node_count',
  'role',
  'min_node_count',
  'max_node_count',
  'is_default',
  'stack_id',
  'status',
  'status_reason',
  'version',
  'created_at',
  'updated_at',
]);

export const nodegroupListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageQueryProperties(NODEGROUP_SORT_KEYS),
    role: { type: 'string', maxLength: MAX_STRING, description: 'only groups of this role' },
  },
} as const;
