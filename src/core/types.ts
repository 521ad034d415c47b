/** @module Domain records as the rest of the code sees them (booleans as booleans, labels as maps). */
import type { Labels } from './labels.ts';

export interface ClusterTemplate {
  id: number;
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  coe: string;
  image_id: string;
  flavor_id: string | null;
  master_flavor_id: string | null;
  keypair_id: string | null;
  dns_nameserver: string | null;
  external_network_id: string | null;
  fixed_network: string | null;
  fixed_subnet: string | null;
  network_driver: string | null;
  volume_driver: string | null;
  apiserver_port: number | null;
  docker_volume_size: number | null;
  docker_storage_driver: string | null;
  cluster_distro: string | null;
  http_proxy: string | null;
  https_proxy: string | null;
  no_proxy: string | null;
  registry_enabled: boolean;
  insecure_registry: string | null;
  labels: Labels;
  tls_disabled: boolean;
  public: boolean;
  hidden: boolean;
  server_type: string;
  master_lb_enabled: boolean;
  floating_ip_enabled: boolean;
  tags: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface Cluster {
  id: number;
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  cluster_template_id: string;
  keypair: string | null;
  docker_volume_size: number | null;
  labels: Labels;
  master_flavor_id: string | null;
  flavor_id: string | null;
  create_timeout: number;
  stack_id: string | null;
  status: string;
  status_reason: string | null;
  health_status: string | null;
  health_status_reason: Labels | null;
  discovery_url: string | null;
  api_address: string | null;
  coe_version: string | null;
  container_version: string | null;
  fixed_network: string | null;
  fixed_subnet: string | null;
  floating_ip_enabled: boolean;
  master_lb_enabled: boolean;
  /** Opaque per-driver state; only the cluster's driver reads it. */
  driver_state: Record<string, unknown>;
  created_at: string;
  updated_at: string | null;
}

export interface Nodegroup {
  id: number;
  uuid: string;
  cluster_id: string;
  project_id: string;
  name: string;
  docker_volume_size: number | null;
  labels: Labels;
  flavor_id: string | null;
  image_id: string | null;
  node_addresses: string[];
  node_count: number;
  role: string;
  min_node_count: number;
  max_node_count: number | null;
  is_default: boolean;
  stack_id: string | null;
  status: string;
  status_reason: string | null;
  version: string | null;
  created_at: string;
  updated_at: string | null;
}

export type OperationKind = 'cluster_create' | 'cluster_update' | 'cluster_delete';

/** What an update operation was asked to do, beyond the desired state stored on the cluster and its node groups. */
export interface OperationPayload {
  action?: 'resize' | 'update' | 'upgrade' | 'nodegroup_create' | 'nodegroup_delete' | 'heal' | 'rotate_ca';
  /** Node group the action targets. */
  nodegroup?: string;
  /** Node names (or provider ids) to remove first when scaling in. */
  nodes_to_remove?: string[];
  /** Nodes replaced at a time during an upgrade. */
  max_batch_size?: number;
  /** Template uuid an upgrade moves to. */
  cluster_template?: string;
  rollback?: boolean;
}
export type OperationState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

export interface Operation {
  id: number;
  uuid: string;
  cluster_id: string;
  kind: OperationKind;
  state: OperationState;
  owner: string | null;
  lease_until: number | null;
  not_before: number;
  deadline: number;
  attempt: number;
  phase: string | null;
  error: string | null;
  payload: OperationPayload;
  created_at: string;
}

export type EventLevel = 'info' | 'warning' | 'error';

export interface ClusterEvent {
  id: number;
  cluster_id: string;
  at: string;
  phase: string;
  level: EventLevel;
  message: string;
}

/** A per-project limit (Magnum's quotas table; only the `Cluster` resource is enforced). */
export interface Quota {
  id: number;
  project_id: string;
  resource: string;
  hard_limit: number;
  created_at: string;
  updated_at: string | null;
}

/** One api or conductor process as `GET /v1/mservices` reports it, refreshed by its heartbeat. */
export interface ServiceRecord {
  id: number;
  host: string;
  binary: string;
  report_count: number;
  disabled: boolean;
  disabled_reason: string | null;
  forced_down: boolean;
  last_seen_up: string | null;
  created_at: string;
  updated_at: string | null;
}

/** Who is calling: from the noauth headers or (later) a Keystone token. */
export interface Caller {
  userId: string;
  /** The project the request acts in; '' for a token scoped to no project (system, domain, unscoped). */
  projectId: string;
  roles: readonly string[];
  /** The policy rule `context_is_admin` holds for the caller (default `role:admin`, as in Magnum). */
  isAdmin: boolean;
  /** A domain-scoped token's domain (oslo.context's domain_id; keystonemiddleware's X-Domain-Id). */
  domainId?: string | undefined;
  /** The domain of the caller's user (X-User-Domain-Id): Magnum's `domain_id` credential (trustee-domain rule). */
  userDomainId?: string | undefined;
  /** Keystone: the domain of the scoped project (project_domain_id). */
  projectDomainId?: string | undefined;
  /** A system-scoped token (`"system": {"all": true}`, X-System-Scope: all). */
  systemScope?: 'all' | undefined;
  /** Keystone's is_admin_project of the token (X-Is-Admin-Project); absent: true, as oslo.context assumes. */
  isAdminProject?: boolean | undefined;
  userName?: string | undefined;
  projectName?: string | undefined;
  /**
   * Keystone: the token the request was made with (X-Auth-Token), to act as the caller while the request runs. Never
   * logged or put in a notification; stored only sealed in a new cluster's trust row, until the conductor has made
   * the trust with it (conductor/cluster-trust.ts).
   */
  authToken?: string | undefined;
}
