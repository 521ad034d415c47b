/** @module Response schemas of /v1/clusters/{ident}/nodegroups for the OpenAPI document (never serialized with). */
import {
  isoTime,
  jsonResponse,
  linkList,
  nextLinkProperty,
  noContent,
  nullableColumnInt,
  columnInt,
  serialId,
  nullableIsoTime,
  nullableString,
  stringMap,
  type ResponsesDoc,
} from '../schemas.ts';

const properties = {
  id: serialId,
  uuid: { type: 'string' },
  name: { type: 'string' },
  cluster_id: { type: 'string' },
  project_id: { type: 'string' },
  docker_volume_size: nullableColumnInt,
  labels: stringMap,
  labels_overridden: stringMap,
  labels_added: stringMap,
  labels_skipped: stringMap,
  flavor_id: nullableString,
  image_id: nullableString,
  node_addresses: { type: 'array', items: { type: 'string' } },
  node_count: columnInt(0),
  role: { type: 'string' },
  max_node_count: nullableColumnInt,
  min_node_count: columnInt(0),
  is_default: { type: 'boolean' },
  stack_id: nullableString,
  status: { type: 'string' },
  status_reason: nullableString,
  version: nullableString,
  merge_labels: { type: 'boolean', const: false },
  links: linkList,
  created_at: isoTime,
  updated_at: nullableIsoTime,
} as const;

/** A node group (nodegroupView): GET one, and the create and update responses. */
export const nodegroupSchema = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
} as const;

const listItemProperties = {
  uuid: properties.uuid,
  name: properties.name,
  flavor_id: properties.flavor_id,
  image_id: properties.image_id,
  node_count: properties.node_count,
  role: properties.role,
  is_default: properties.is_default,
  status: properties.status,
  stack_id: properties.stack_id,
  max_node_count: { type: 'null', description: "Magnum's list view shows the default, not the stored value" },
  min_node_count: { type: 'integer', const: 0, maximum: 0, description: "Magnum's list view shows the default" },
  merge_labels: properties.merge_labels,
} as const;

/** An item of the node group list (nodegroupListItem). */
export const nodegroupListItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(listItemProperties),
  properties: listItemProperties,
} as const;

export const NODEGROUP_RESPONSES = {
  list: {
    200: jsonResponse('A page of the cluster’s node groups.', {
      type: 'object',
      additionalProperties: false,
      required: ['nodegroups'],
      properties: { nodegroups: { type: 'array', items: nodegroupListItemSchema }, next: nextLinkProperty },
    }),
  },
  show: { 200: jsonResponse('The node group.', nodegroupSchema) },
  create: { 202: jsonResponse('Create accepted: the node group as it will be created.', nodegroupSchema) },
  update: { 202: jsonResponse('The node group with its new bounds.', nodegroupSchema) },
  delete: { 204: noContent('Delete accepted.') },
} satisfies Record<string, ResponsesDoc>;
