/**
 * @module The driver contract: a small required surface plus declared capabilities.
 * Rules every driver keeps (see docs/architecture.md, "Driver contract"):
 * - `ensureCluster` and `removeCluster` are idempotent: they observe the provider (by the cluster's UUID label) and only
 *   create or remove what is missing or left, so the conductor may kill and re-run them at any point.
 * - Nodes come from a provider (`../providers/contract.ts`, injected by the composition root): a driver describes
 *   machines (image, flavor, network, volumes, ports, cloud-init user-data) and never uses a provider's own types.
 * - Every provider object carries the cluster UUID in a label or its name.
 * - Failures are thrown as {@link DriverError} naming the phase; `retryable` says whether running again may help.
 * - Long waits honour `ctx.signal` (aborted when the operation is cancelled or its lease is lost).
 */
import type { FlavorLimits } from '../core/flavors.ts';
import type { HealthStatus } from '../core/status.ts';
import type { Labels } from '../core/labels.ts';
import type { EventLevel } from '../core/types.ts';
import type { Machine } from '../providers/contract.ts';

/** The registry key: (server_type, os, coe), as Magnum selects drivers. */
export interface DriverKey {
  serverType: string;
  os: string;
  coe: string;
}

/** Operations a driver may support beyond create and delete. The API refuses what the driver does not declare. */
export type Capability = 'resize' | 'upgrade' | 'nodegroups' | 'rotate-ca' | 'health' | 'load-balancers';

/** What a driver needs to know about one node group. */
export interface NodegroupSpec {
  name: string;
  role: 'master' | 'worker' | string;
  nodeCount: number;
  flavorId: string | null;
  /** The flavor's size from the configured flavor table; null when the group has no (or an unknown) flavor. */
  flavor: FlavorLimits | null;
  /** The image the group's nodes should run; a running node on another image is replaced (upgrade). */
  imageId: string;
  isDefault: boolean;
  dockerVolumeSize: number | null;
  labels: Labels;
}

/** The cluster as the driver sees it: template values already merged with the cluster's own. */
export interface ClusterSpec {
  uuid: string;
  name: string;
  projectId: string;
  coe: string;
  imageId: string;
  tlsDisabled: boolean;
  fixedSubnet: string | null;
  dnsNameservers: string[];
  networkDriver: string | null;
  /** Magnum's `master_lb_enabled`: a load balancer in front of the masters' API servers. */
  masterLbEnabled: boolean;
  labels: Labels;
  nodegroups: NodegroupSpec[];
}

/** Certificates of the cluster, issued by its own CA held by the conductor. */
export interface ClusterPki {
  caPem: string;
  /** A server certificate (also usable as a client) for a node, with the given SANs. */
  issueServer(
    commonName: string,
    dnsNames: string[],
    ipAddresses: string[],
  ): Promise<{ certPem: string; keyPem: string }>;
  /** The conductor's own client certificate for this cluster (created once, reused). */
  conductorClient(): Promise<{ certPem: string; keyPem: string }>;
  /** A client certificate (EKU clientAuth) with subject CN (and O, e.g. a Kubernetes group) from the cluster CA. */
  issueClient(commonName: string, organization?: string): Promise<{ certPem: string; keyPem: string }>;
  /**
   * Cluster-wide key material the driver needs to be the same on every run (e.g. a second CA, a signing key): made by
   * `make` the first time, then kept with the cluster (private key sealed) and returned as stored.
   */
  secret(
    kind: string,
    make: () => Promise<{ certPem: string; keyPem: string }>,
  ): Promise<{ certPem: string; keyPem: string }>;
  /** Certificates (a PEM bundle) of CAs a ca-rotate replaced that nodes may still trust; undefined when none. */
  previousCaPem(): Promise<string | undefined>;
  /** Forgets them: called by a driver once every node trusts only the current CA. */
  forgetPreviousCa(): Promise<void>;
}

/** Per-driver opaque state persisted on the cluster row (e.g. the chosen subnet). */
/**
 * The driver-state key under which a driver that made a load balancer in front of the cluster's API servers records
 * the {@link LoadBalancerSpec} it last applied: the conductor's health pass watches that balancer and makes it again
 * from this spec when it is gone or stopped (`conductor/api-balancer-watch.ts`).
 */
export const API_LOAD_BALANCER_STATE = 'api_load_balancer';

export interface DriverState {
  get(): Readonly<Record<string, unknown>>;
  merge(patch: Record<string, unknown>): Promise<void>;
}

export interface DriverLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Hints of the operation being run, beyond the desired state in {@link ClusterSpec}. */
export interface OperationIntent {
  action:
    | 'create'
    | 'delete'
    | 'resize'
    | 'update'
    | 'upgrade'
    | 'nodegroup_create'
    | 'nodegroup_delete'
    | 'heal'
    | 'rotate_ca';
  /** Node group the action targets. */
  nodegroup?: string;
  /** Nodes (names or ids) to remove first when a group shrinks; otherwise the driver picks (emptiest first). */
  nodesToRemove?: string[];
  /** Nodes replaced at a time when their image changes. @default 1 */
  maxBatchSize?: number;
}

/** What one load-balancer sync of a cluster gets (the conductor's `lb-sync` loop, every few seconds). */
export interface LoadBalancerSyncContext {
  cluster: ClusterSpec;
  pki: Pick<ClusterPki, 'caPem' | 'conductorClient'>;
  signal: AbortSignal;
  log: DriverLogger;
  /** Appends to the cluster's event timeline (only changes are worth one). */
  event(phase: string, message: string, level?: EventLevel): Promise<void>;
}

/** What one load-balancer sync did. */
export interface LoadBalancerSyncReport {
  /** Load balancers made or brought up to date. */
  ensured: string[];
  /** Load balancers removed (their Service went, or stopped being of type LoadBalancer). */
  removed: string[];
  /** Objects whose status got an address written (e.g. `default/web`). */
  published: string[];
}

/** What a health check of one cluster gets. */
export interface HealthContext {
  cluster: ClusterSpec;
  /** The cluster's machines from the provider's shared observation (no further listing needed). */
  nodes: Machine[];
  pki: Pick<ClusterPki, 'caPem' | 'conductorClient'>;
  signal: AbortSignal;
}

/** A cluster's health as Magnum reports it. */
export interface HealthReport {
  status: HealthStatus;
  /** Magnum's `health_status_reason`: `{"api": "ok", "<hostname>.Ready": "True", …}`. */
  reason: Record<string, string>;
  /** Hostnames of nodes found dead or not Ready (what auto-healing replaces). */
  failed: string[];
}

/** Everything a driver call gets from the conductor. */
export interface DriverContext {
  cluster: ClusterSpec;
  intent: OperationIntent;
  pki: ClusterPki;
  state: DriverState;
  signal: AbortSignal;
  log: DriverLogger;
  /** Appends to the cluster's event timeline. */
  event(phase: string, message: string, level?: EventLevel): Promise<void>;
}

/** What a finished create reports; written onto the cluster and its node groups. */
export interface ClusterOutputs {
  apiAddress: string | null;
  coeVersion: string | null;
  containerVersion: string | null;
  /** Addresses per node group name. */
  addresses: Record<string, string[]>;
}

/** The template fields a driver may refuse at template or cluster create (400 with the driver's reason). */
export interface TemplateView {
  coe: string;
  network_driver: string | null;
  volume_driver: string | null;
  labels: Labels;
  master_lb_enabled: boolean;
  /** Whether the template turns TLS off (a driver that always uses TLS refuses it). */
  tls_disabled?: boolean;
  /** The node network the cluster asks for (template or cluster `fixed_subnet`). */
  fixed_subnet?: string | null;
  /** Given at cluster create: the number of masters asked for. */
  master_count?: number;
}

/** An upgrade as a driver checks it before it is queued (`upgradeLabels`). */
export interface UpgradeView {
  /** The node group named in the request (the default worker group when none is). */
  nodegroup: { name: string; role: string; isDefault: boolean; labels: Labels };
  clusterLabels: Labels;
  /** The template the cluster (or the group) moves to. */
  next: TemplateView & { name: string };
}

export interface Driver {
  readonly name: string;
  readonly provides: readonly DriverKey[];
  readonly capabilities: ReadonlySet<Capability>;
  /** Default network driver stored on templates that name none. */
  readonly defaultNetworkDriver: string;
  /**
   * Throws (or rejects with) a MagnumError (400) naming the field when the template asks for something this driver
   * cannot do. May be async (e.g. to ask the provider whether an image exists).
   */
  validateTemplate(t: TemplateView): void | Promise<void>;
  /** Makes the provider match the spec: creates, scales, replaces (upgrade) and removes nodes as needed. */
  ensureCluster(ctx: DriverContext): Promise<ClusterOutputs>;
  removeCluster(ctx: DriverContext): Promise<void>;
  /**
   * Drivers declaring 'health': the cluster's health from the shared node observation, with at most one call to the
   * cluster itself (none when no node can answer). Never throws for an unhealthy cluster; reports it.
   */
  checkHealth?(ctx: HealthContext): Promise<HealthReport>;
  /**
   * Drivers declaring 'load-balancers': makes the provider's load balancers match what the cluster asks for (Kubernetes:
   * Services of type LoadBalancer), writes their addresses back, removes those no longer asked for. Observes before it
   * acts, so any run may be killed and the next one carries on. Never run on a cluster being created or deleted.
   */
  syncLoadBalancers?(ctx: LoadBalancerSyncContext): Promise<LoadBalancerSyncReport>;
  /**
   * Drivers declaring 'upgrade' may check an upgrade before it is queued — a MagnumError refuses it (nothing is
   * written) — and return the labels the upgraded node group carries afterwards (for a default group also the
   * cluster's and the other default group's, as Magnum's Kubernetes driver moves `kube_tag`); undefined or absent:
   * labels unchanged.
   */
  upgradeLabels?(u: UpgradeView): Promise<Labels | undefined>;
}

/** A failure inside a driver phase. */
export class DriverError extends Error {
  readonly phase: string;
  readonly retryable: boolean;
  constructor(phase: string, message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'DriverError';
    this.phase = phase;
    this.retryable = opts.retryable ?? false;
  }
}
