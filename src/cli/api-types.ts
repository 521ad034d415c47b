/** @module cli/api-types — shapes of the day-two resources the CLI reads and writes (node groups, quotas, …). */

/** One RFC 6902 operation as magnumclient builds them from `op path=value` arguments. */
export interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** A node group (`/v1/clusters/{id}/nodegroups`, microversion 1.9). */
export interface Nodegroup {
  uuid: string;
  name: string;
  cluster_id: string;
  role: string;
  node_count: number;
  status?: string;
  [field: string]: unknown;
}

/** Body of `POST /v1/clusters/{id}/nodegroups` (openstackclient's CREATION_ATTRIBUTES). */
export interface NodegroupCreateRequest {
  name: string;
  node_count?: number;
  min_node_count?: number;
  max_node_count?: number | null;
  role?: string;
  docker_volume_size?: number;
  labels?: Record<string, string>;
  flavor_id?: string;
  image_id?: string;
  merge_labels?: boolean;
}

/** Body of `POST /v1/clusters/{id}/actions/resize`. */
export interface ResizeRequest {
  node_count: number;
  nodes_to_remove?: string[];
  nodegroup?: string;
}

/** Body of `POST /v1/clusters/{id}/actions/upgrade`. */
export interface UpgradeRequest {
  cluster_template: string;
  max_batch_size?: number;
  nodegroup?: string;
}

/** A quota row (`/v1/quotas`). */
export interface Quota {
  project_id: string;
  resource: string;
  hard_limit: number;
  [field: string]: unknown;
}

/** Body of quota create and update (update sends the same object, not a JSON PATCH, like magnumclient). */
export interface QuotaRequest {
  project_id: string;
  resource: string;
  hard_limit: number;
}

/** `GET /v1/stats`. */
export interface Stats {
  clusters: number;
  nodes: number;
  [field: string]: unknown;
}

/** One `GET /v1/mservices` (or `GET /v1/processes`) row. */
export interface MService {
  id: number;
  host: string;
  binary: string;
  state: string;
  [field: string]: unknown;
}
