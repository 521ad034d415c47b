/** @module Response schemas of /v1/clusters for the OpenAPI document (see api/schemas.ts: never serialized with). */
import { CLUSTER_STATUSES, HEALTH_STATUSES } from '../../core/status.ts';
import {
  isoTime,
  jsonResponse,
  linkList,
  nextLinkProperty,
  noContent,
  nullableColumnInt,
  columnInt,
  countInt,
  serialId,
  nullableIsoTime,
  nullableString,
  stringMap,
  uuidBody,
  type ResponsesDoc,
} from '../schemas.ts';

const listItemProperties = {
  uuid: { type: 'string' },
  name: { type: 'string' },
  cluster_template_id: { type: 'string' },
  keypair: nullableString,
  docker_volume_size: nullableColumnInt,
  labels: stringMap,
  node_count: countInt,
  master_count: countInt,
  status: { type: 'string', enum: [...CLUSTER_STATUSES] },
  health_status: { type: ['string', 'null'], enum: [...HEALTH_STATUSES, null] },
  master_flavor_id: nullableString,
  flavor_id: nullableString,
  create_timeout: columnInt(),
  stack_id: nullableString,
  links: linkList,
  merge_labels: { type: 'boolean', const: false },
} as const;

/** An item of `GET /v1/clusters` (clusterListItem). */
export const clusterListItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(listItemProperties),
  properties: listItemProperties,
} as const;

const detailProperties = {
  ...listItemProperties,
  labels_overridden: stringMap,
  labels_added: stringMap,
  labels_skipped: stringMap,
  status_reason: nullableString,
  health_status_reason: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
  discovery_url: nullableString,
  api_address: nullableString,
  coe_version: nullableString,
  container_version: nullableString,
  node_addresses: { type: 'array', items: { type: 'string' } },
  master_addresses: { type: 'array', items: { type: 'string' } },
  fixed_network: nullableString,
  fixed_subnet: nullableString,
  floating_ip_enabled: { type: 'boolean' },
  master_lb_enabled: { type: 'boolean' },
  project_id: { type: 'string' },
  user_id: { type: 'string' },
  created_at: isoTime,
  updated_at: nullableIsoTime,
} as const;

/** An item of `GET /v1/clusters/detail` (clusterDetail without faults). */
export const clusterDetailItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(detailProperties),
  properties: detailProperties,
} as const;

/** `GET /v1/clusters/{ident}`: the detail form, plus `faults` (node group name → reason) when the cluster failed. */
export const clusterSchema = {
  ...clusterDetailItemSchema,
  properties: {
    ...detailProperties,
    faults: { ...stringMap, description: 'present only in a *_FAILED status: failed node group → reason' },
  },
} as const;

const listOf = (items: object): object => ({
  type: 'object',
  additionalProperties: false,
  required: ['clusters'],
  properties: { clusters: { type: 'array', items }, next: nextLinkProperty },
});

/** A timeline event (eventView). */
export const eventSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'phase', 'level', 'message', 'time'],
  properties: {
    id: serialId,
    phase: { type: 'string' },
    level: { type: 'string', enum: ['info', 'warning', 'error'] },
    message: { type: 'string' },
    time: isoTime,
    cause: { type: 'string', description: 'classified cause of a failure' },
  },
} as const;

const accepted = (what: string): ResponsesDoc => ({
  202: jsonResponse(`${what} accepted; the conductor carries it out (follow the cluster's status).`, uuidBody),
});

export const CLUSTER_RESPONSES = {
  create: accepted('Create'),
  list: { 200: jsonResponse('A page of clusters visible to the caller.', listOf(clusterListItemSchema)) },
  detail: { 200: jsonResponse('A page of clusters, detail form.', listOf(clusterDetailItemSchema)) },
  show: { 200: jsonResponse('The cluster.', clusterSchema) },
  delete: { 204: noContent('Delete accepted (the cluster shows DELETE_IN_PROGRESS until it is gone).') },
  update: accepted('Update'),
  resize: accepted('Resize'),
  upgrade: accepted('Upgrade'),
  events: {
    200: jsonResponse('The cluster event timeline, oldest first.', {
      type: 'object',
      additionalProperties: false,
      required: ['events'],
      properties: { events: { type: 'array', items: eventSchema } },
    }),
  },
  eventStream: {
    200: {
      description:
        'Server-sent events: `id:` the event id, `data:` an event (as in …/events); ends with `event: end` ' +
        '(`{uuid, status, status_reason, gone}`) once the cluster is in no *_IN_PROGRESS state or is gone.',
      content: {
        'text/event-stream': {
          schema: {
            type: 'object',
            description: 'one server-sent event',
            properties: {
              id: { type: 'string', description: 'the event id (resume with Last-Event-ID)' },
              event: { type: 'string', enum: ['message', 'end', 'error'] },
              data: { type: 'string', contentMediaType: 'application/json' },
              retry: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            },
          },
        },
      },
    },
  },
} satisfies Record<string, ResponsesDoc>;
