/** @module Row types of every table, as Kysely sees them. Booleans are stored as 0/1 and JSON as text on both engines. */
import type { Generated } from 'kysely';

export interface ClusterTemplateTable {
  id: Generated<number>;
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
  registry_enabled: number;
  insecure_registry: string | null;
  labels: string;
  tls_disabled: number;
  public: number;
  hidden: number;
  server_type: string;
  master_lb_enabled: number;
  floating_ip_enabled: number;
  tags: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface ClusterTable {
  id: Generated<number>;
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  cluster_template_id: string;
  keypair: string | null;
  docker_volume_size: number | null;
  labels: string;
  master_flavor_id: string | null;
  flavor_id: string | null;
  create_timeout: number;
  stack_id: string | null;
  status: string;
  status_reason: string | null;
  health_status: string | null;
  health_status_reason: string | null;
  discovery_url: string | null;
  api_address: string | null;
  coe_version: string | null;
  container_version: string | null;
  fixed_network: string | null;
  fixed_subnet: string | null;
  floating_ip_enabled: number;
  master_lb_enabled: number;
  driver_state: string;
  created_at: string;
  updated_at: string | null;
}

export interface NodegroupTable {
  id: Generated<number>;
  uuid: string;
  cluster_id: string;
  project_id: string;
  name: string;
  docker_volume_size: number | null;
  labels: string;
  flavor_id: string | null;
  image_id: string | null;
  node_addresses: string;
  node_count: number;
  role: string;
  min_node_count: number;
  max_node_count: number | null;
  is_default: number;
  stack_id: string | null;
  status: string;
  status_reason: string | null;
  version: string | null;
  created_at: string;
  updated_at: string | null;
}

/** One asynchronous conductor operation; claimed with a lease (owner + lease_until, epoch ms). */
export interface OperationTable {
  id: Generated<number>;
  uuid: string;
  cluster_id: string;
  kind: string;
  state: string;
  owner: string | null;
  lease_until: number | null;
  not_before: number;
  deadline: number;
  attempt: number;
  phase: string | null;
  error: string | null;
  /** JSON: what the operation asks for beyond the stored desired state (e.g. nodes_to_remove). */
  payload: Generated<string>;
  created_at: string;
  updated_at: string | null;
}

export interface QuotaTable {
  id: Generated<number>;
  project_id: string;
  resource: string;
  hard_limit: number;
  created_at: string;
  updated_at: string | null;
}

/** One row per running api / conductor process (Magnum's mservices), refreshed by heartbeats. */
export interface ServiceTable {
  id: Generated<number>;
  host: string;
  binary: string;
  report_count: number;
  disabled: number;
  disabled_reason: string | null;
  forced_down: number;
  last_seen_up: string | null;
  created_at: string;
  updated_at: string | null;
}

/** Notifications written in the same transaction as the state change they report; deleted once published. */
export interface OutboxTable {
  id: Generated<number>;
  event_type: string;
  payload: string;
  created_at: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

export interface ClusterEventTable {
  id: Generated<number>;
  cluster_id: string;
  at: string;
  phase: string;
  level: string;
  message: string;
}

export interface CertificateTable {
  id: Generated<number>;
  cluster_id: string;
  kind: string;
  cert_pem: string;
  key_sealed: string;
  created_at: string;
}

/** A cluster's Keystone trust (Keystone mode); secrets sealed with the master key. */
export interface ClusterTrustTable {
  cluster_id: string;
  /** `<cluster uuid>_<project id>` (Magnum's name): found by name again after a crash. */
  trustee_name: string;
  trustee_user_id: string | null;
  trustee_password_sealed: string;
  trust_id: string | null;
  trustor_user_id: string;
  trustor_project_id: string;
  /** JSON list of role names delegated by the trust. */
  roles: string;
  /** The creating user's token, sealed, until the trust is made; then null. */
  trustor_token_sealed: string | null;
  created_at: string;
  updated_at: string | null;
}

/** Revision counters, bumped in the same transaction as every write to the named table. */
export interface RevisionTable {
  name: string;
  value: number;
}

export interface Database {
  cluster_templates: ClusterTemplateTable;
  clusters: ClusterTable;
  nodegroups: NodegroupTable;
  operations: OperationTable;
  cluster_events: ClusterEventTable;
  certificates: CertificateTable;
  quotas: QuotaTable;
  services: ServiceTable;
  outbox: OutboxTable;
  revisions: RevisionTable;
  cluster_trusts: ClusterTrustTable;
}
