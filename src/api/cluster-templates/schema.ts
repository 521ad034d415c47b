/** @module JSON schemas of the cluster template resource (validation and OpenAPI). */
import { labelsSchema } from '../../core/limits.ts';
import { ALL_COES, SERVER_TYPES } from '../../core/template-rules.ts';
import { pageQueryProperties } from '../pagination.ts';
import { MAGNUM_ERRORS } from '../validation.ts';

/** A uuid attribute of a body (Magnum's `types.uuid`): anything not UUID-like is its InvalidUUID 400. */
export const uuidAttribute = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$',
  [MAGNUM_ERRORS]: { type: 'Expected a uuid but received {value}.', pattern: 'Expected a uuid but received {value}.' },
} as const;

const str255 = { type: 'string', minLength: 1, maxLength: 255 } as const;
const ro = { readOnly: true } as const;

/** Writable and read-only attributes of a template body. */
export const templateBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['image_id'],
  properties: {
    uuid: uuidAttribute,
    name: { type: 'string', minLength: 1, maxLength: 255 },
    coe: { type: 'string', enum: [...ALL_COES] },
    image_id: str255,
    flavor_id: str255,
    master_flavor_id: str255,
    keypair_id: str255,
    dns_nameserver: { type: 'string', maxLength: 255 },
    external_network_id: str255,
    fixed_network: str255,
    fixed_subnet: str255,
    network_driver: str255,
    volume_driver: str255,
    apiserver_port: { type: 'integer', minimum: 1024, maximum: 65535 },
    docker_volume_size: { type: 'integer', minimum: 1 },
    docker_storage_driver: str255,
    cluster_distro: str255,
    http_proxy: str255,
    https_proxy: str255,
    no_proxy: str255,
    registry_enabled: { type: 'boolean' },
    insecure_registry: str255,
    labels: labelsSchema,
    tls_disabled: { type: 'boolean' },
    public: { type: 'boolean' },
    hidden: { type: 'boolean' },
    server_type: { type: 'string', enum: [...SERVER_TYPES] },
    master_lb_enabled: { type: 'boolean' },
    floating_ip_enabled: { type: 'boolean' },
    tags: { type: 'string', maxLength: 255 },
    project_id: ro,
    user_id: ro,
    links: ro,
    created_at: ro,
    updated_at: ro,
  },
} as const;

/** Columns a template list can be sorted by. */
export const TEMPLATE_SORT_KEYS: ReadonlySet<string> = new Set([
  'id',
  'uuid',
  'name',
  'coe',
  'image_id',
  'flavor_id',
  'master_flavor_id',
  'keypair_id',
  'server_type',
  'cluster_distro',
  'network_driver',
  'volume_driver',
  'docker_volume_size',
  'public',
  'hidden',
  'tls_disabled',
  'project_id',
  'user_id',
  'created_at',
  'updated_at',
  'tags',
]);

export const templateListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: pageQueryProperties(TEMPLATE_SORT_KEYS),
} as const;
