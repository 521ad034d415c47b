/** @module Response schemas of the legacy /v1/bays for the OpenAPI document (never serialized with). */
import { clusterSchema } from '../clusters/responses.ts';
import { jsonResponse, nextLinkProperty, noContent, stringMap, uuidBody, type ResponsesDoc } from '../schemas.ts';

const c = clusterSchema.properties;

const listItemProperties = {
  uuid: c.uuid,
  name: c.name,
  baymodel_id: c.cluster_template_id,
  node_count: c.node_count,
  master_count: c.master_count,
  docker_volume_size: c.docker_volume_size,
  labels: c.labels,
  master_flavor_id: c.master_flavor_id,
  flavor_id: c.flavor_id,
  bay_create_timeout: c.create_timeout,
  links: c.links,
  stack_id: c.stack_id,
  status: c.status,
  floating_ip_enabled: { type: 'boolean', const: true, description: 'always true in list items (as Magnum 15)' },
} as const;

const detailProperties = {
  ...listItemProperties,
  status_reason: c.status_reason,
  discovery_url: c.discovery_url,
  api_address: c.api_address,
  coe_version: c.coe_version,
  container_version: c.container_version,
  node_addresses: c.node_addresses,
  master_addresses: c.master_addresses,
  fixed_network: c.fixed_network,
  fixed_subnet: c.fixed_subnet,
  floating_ip_enabled: c.floating_ip_enabled,
  master_lb_enabled: c.master_lb_enabled,
  created_at: c.created_at,
  updated_at: c.updated_at,
} as const;

const object = (properties: Record<string, object>): object => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
});

/** A bay in detail form; `bay_faults` only on GET one of a failed bay. */
export const baySchema = {
  ...object(detailProperties),
  properties: {
    ...detailProperties,
    bay_faults: {
      ...stringMap,
      description: 'present only on GET one in a *_FAILED status: failed node group → reason',
    },
  },
} as const;

const listOf = (items: object): object => ({
  type: 'object',
  additionalProperties: false,
  required: ['bays'],
  properties: { bays: { type: 'array', items }, next: nextLinkProperty },
});

export const BAY_RESPONSES = {
  create: {
    201: jsonResponse('Microversion 1.1: the bay as created (synchronous, as Magnum 1.1).', baySchema, {
      Location: { type: 'string', description: 'URL of the new bay' },
    }),
    202: jsonResponse('Microversion ≥ 1.2: create accepted; follow the bay status.', uuidBody),
  },
  list: { 200: jsonResponse('A page of bays of the caller’s project.', listOf(object(listItemProperties))) },
  detail: { 200: jsonResponse('A page of bays, detail form.', listOf(object(detailProperties))) },
  show: { 200: jsonResponse('The bay.', baySchema) },
  update: {
    200: jsonResponse('Microversion 1.1: the bay after the update was accepted.', baySchema),
    202: jsonResponse('Microversion ≥ 1.2: update accepted.', uuidBody),
  },
  delete: { 204: noContent('Delete accepted (the bay shows DELETE_IN_PROGRESS until it is gone).') },
} satisfies Record<string, ResponsesDoc>;
