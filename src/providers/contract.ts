/**
 * @module The provider contract: "where nodes come from", apart from "what runs on them" (the COE drivers). A provider
 * makes networks and machines (local Docker: bridge networks and node containers; OpenStack: Neutron networks and Nova
 * servers) from provider-neutral descriptions, and every machine boots from a cloud-init user-data payload
 * (`#cloud-config` with `write_files` + `runcmd`, built with `./cloud-config.ts`). Drivers import this module and
 * `./cloud-config.ts` only, never a provider's own modules (an ESLint rule enforces it).
 * Rules every provider keeps:
 * - Everything it makes carries the cluster UUID: in its name and in the {@link CLUSTER_LABEL} label (tag, metadata).
 * - Every method is idempotent and observes before acting, so the conductor may kill and re-run any call.
 * - Machines are found again by name and label, never by state kept in memory.
 */
import type { FlavorLimits } from '../core/flavors.ts';

/** The label (Docker label, Nova metadata key, Neutron tag prefix) carrying the cluster UUID on everything made. */
export const CLUSTER_LABEL = 'magnetar.cluster';

/** What a cluster's network is asked for. */
export interface NetworkRequest {
  clusterUuid: string;
  /** The CIDR the user asked for (the cluster's `fixed_subnet`); null lets the provider pick a free /24. */
  subnetHint: string | null;
}

/** The cluster's network as it exists. */
export interface Network {
  id: string;
  name: string;
  /** IPv4 CIDR of the subnet machines get their fixed addresses from (a /24 on the local provider). */
  cidr: string;
  gateway: string;
  /** True when this call made it (for the event timeline). */
  created: boolean;
}

/** A volume attached to a machine (local: a named Docker volume; OpenStack: a Cinder volume). */
export interface VolumeSpec {
  /** Unique on the provider; contains the machine's name (and so the cluster UUID). */
  name: string;
  /** Where the volume is mounted inside the machine. */
  mountPath: string;
  /** Size in GiB; null for the provider's default (the local provider does not bound volumes). */
  sizeGb: number | null;
  /**
   * Keep an existing volume of this name (its data survives the machine being made again, e.g. a swarm manager's raft
   * state); when false an existing one is removed first, so the machine starts from an empty volume.
   */
  keep: boolean;
}

/** A port the conductor must reach on the machine (local: published on 127.0.0.1; a cloud: the machine's address). */
export interface PortSpec {
  /** The name the driver asks {@link Machine.endpoints} by, e.g. `engine` or `kube-api`. */
  name: string;
  port: number;
}

/** Where the conductor reaches one port of a machine. */
export interface Endpoint {
  host: string;
  port: number;
}

/** The flavor a machine is made with: its name and, when the flavor table knows it, its size. */
export interface FlavorSpec {
  name: string;
  limits: FlavorLimits | null;
}

/** Everything a provider needs to make one machine. */
export interface MachineSpec {
  /** Unique on the provider; contains the cluster UUID (`magnetar-<uuid>-node-3`). */
  name: string;
  /** The machine's hostname (also what Kubernetes / swarm call the node). */
  hostname: string;
  clusterUuid: string;
  role: 'master' | 'worker';
  nodegroup: string;
  /** The node's stable index inside its role. */
  index: number;
  /** Image reference (local: a Docker image name; OpenStack: a Glance image name or id). */
  image: string;
  flavor: FlavorSpec | null;
  /** The cluster network and the machine's fixed address on it. */
  network: { id: string; address: string };
  volumes: VolumeSpec[];
  /** Extra labels (tags); the provider adds its own, including {@link CLUSTER_LABEL}. */
  labels: Record<string, string>;
  /** Ports the conductor must reach. */
  ports: PortSpec[];
  /** The bootstrap payload: cloud-init user-data, a `#cloud-config` document (see `./cloud-config.ts`). */
  userData: string;
  /**
   * Endpoints of the machine this one replaces (same name): a provider keeps them when it can, so that addresses the
   * user holds (a cluster's `api_address`) stay valid (local: the same loopback ports; a cloud: the same floating IP).
   */
  previousEndpoints?: Readonly<Record<string, Endpoint>>;
}

/**
 * A machine's state in provider-neutral words: `running` (Docker running; Nova ACTIVE), `stopped` (exited; SHUTOFF:
 * can be started again), `pending` (restarting; BUILD), `paused` (paused; PAUSED/SUSPENDED), `failed` (made but never
 * started, dead; ERROR: make it again).
 */
export type MachineState = 'running' | 'stopped' | 'pending' | 'paused' | 'failed';

/** A machine as observed. */
export interface Machine {
  /** The provider's id (container id; Nova server id). */
  id: string;
  name: string;
  hostname: string;
  clusterUuid: string;
  role: string;
  nodegroup: string;
  index: number;
  /** The image the machine was made from, by the reference it was asked for (an upgrade compares these). */
  image: string;
  /** Flavor name ('' when none). */
  flavor: string;
  /** Fixed address on the cluster network. */
  address: string;
  state: MachineState;
  /** The provider's own word for the state (Docker `exited`, Nova `SHUTOFF`), for messages. */
  status: string;
  /** Where the conductor reaches each of the spec's ports, by port name (also known while the machine is stopped). */
  endpoints: Readonly<Record<string, Endpoint>>;
}

/** How far a machine's cloud-init payload got. */
export interface BootstrapStatus {
  /** `done`: runcmd succeeded (boot-finished); `failed`: it failed (boot-failed); `pending`: neither yet. */
  state: 'pending' | 'done' | 'failed';
  /** The last lines of `/var/log/cloud-init-output.log` (empty when not read, e.g. while pending and not asked). */
  output: string;
}

/** What is labelled with a cluster on the provider. */
export interface ClusterResources {
  machines: number;
  volumes: number;
  networks: number;
  /** Load balancers (local: load-balancer containers, not counted in `machines`; OpenStack: Octavia LBs). */
  loadBalancers: number;
}

/** The label (Docker label, Octavia tag) saying what a load balancer is for: `api`, `service`, … */
export const LB_PURPOSE_LABEL = 'magnetar.lb-purpose';

/** How a pool picks a member (Octavia's `lb_algorithm`). */
export type LbAlgorithm = 'ROUND_ROBIN' | 'LEAST_CONNECTIONS' | 'SOURCE_IP';

/**
 * How members are checked (Octavia's health monitor). A member failing `maxRetries` checks in a row gets no new
 * connections until it passes again.
 */
export interface LbHealthMonitorSpec {
  /** `TCP`: a connect; `HTTP`/`HTTPS`: a GET of `urlPath` answered with one of `expectedCodes` (HTTPS not verified). */
  type: 'TCP' | 'HTTP' | 'HTTPS';
  /** Seconds between checks. */
  delaySeconds: number;
  /** Seconds a check may take. */
  timeoutSeconds: number;
  /** Failed (and passed) checks in a row that change a member's state (1..10). */
  maxRetries: number;
  /** HTTP(S): the path asked for. @default '/' */
  urlPath?: string;
  /** HTTP(S): Octavia's `expected_codes`: `200`, `200,202` or `200-399`. @default '200' */
  expectedCodes?: string;
  /**
   * The port checked on each member instead of its traffic port (Octavia's member `monitor_port`), e.g. a Service's
   * `healthCheckNodePort`.
   */
  port?: number;
}

/** One backend of a pool. */
export interface LbMemberSpec {
  /** For logs and status (e.g. the node name). */
  name: string;
  address: string;
  port: number;
}

/** A listener (a port on the VIP) and its pool. */
export interface LbListenerSpec {
  /** Unique inside the load balancer: `[a-z0-9-]`, at most 63 characters (e.g. `https`, `tcp-80`). */
  name: string;
  /** Only TCP for now (UDP listeners are refused by the local provider: haproxy does not carry UDP). */
  protocol: 'TCP';
  port: number;
  /** Source CIDRs allowed to connect (Octavia's listener `allowed_cidrs`); empty: everyone. */
  allowedCidrs: string[];
  /** Idle timeout of a connection, both sides (Octavia's `timeout_client_data` / `timeout_member_data`). */
  idleTimeoutSeconds: number;
  algorithm: LbAlgorithm;
  members: LbMemberSpec[];
  healthMonitor: LbHealthMonitorSpec | null;
}

/** Everything a provider needs to make (or bring up to date) one load balancer. */
export interface LoadBalancerSpec {
  /** Unique on the provider; contains the cluster UUID (`magnetar-<uuid>-lb-api`). */
  name: string;
  clusterUuid: string;
  /** What it is for; kept in {@link LB_PURPOSE_LABEL} (`api`: the masters; `service`: a Service of type LoadBalancer). */
  purpose: string;
  /** The cluster network and the VIP on it (chosen by the driver like a machine's fixed address). */
  network: { id: string; vipAddress: string };
  /** Listeners with their pools; the whole set (listeners not named here are removed). */
  listeners: LbListenerSpec[];
  /** Extra labels (tags); the provider adds its own, including {@link CLUSTER_LABEL} and {@link LB_PURPOSE_LABEL}. */
  labels: Record<string, string>;
}

/**
 * A load balancer's state: `active` (serving its current spec), `pending` (being made or reconfigured), `stopped`
 * (exists, not serving: local container stopped), `error` (Octavia ERROR; local: dead, make it again).
 */
export type LoadBalancerState = 'active' | 'pending' | 'stopped' | 'error';

/** A load balancer as observed. */
export interface LoadBalancer {
  /** The provider's id (container id; Octavia LB id). */
  id: string;
  name: string;
  clusterUuid: string;
  purpose: string;
  vipAddress: string;
  state: LoadBalancerState;
  /** The provider's own word for the state (Docker `running`, Octavia `ACTIVE`/`ONLINE`), for messages. */
  status: string;
  /** Every label/tag, including the spec's own. */
  labels: Readonly<Record<string, string>>;
  /** The listeners as last applied (empty when they could not be read back). */
  listeners: LbListenerSpec[];
  /** Where the host (and the conductor) reaches each listener, by listener name (local: the VIP and the port). */
  endpoints: Readonly<Record<string, Endpoint>>;
}

/** An image as the provider's catalog (Glance's role) sees it. */
export interface ImageInfo {
  id: string;
  /** Properties (local: image labels such as `os_distro`, `magnetar.kube_version`). */
  properties: Readonly<Record<string, string>>;
}

/** Where nodes come from. */
export interface Provider {
  /** Short name for logs and events, e.g. `docker-local`. */
  readonly name: string;

  /** The cluster's network: found by its label, else made on `subnetHint` or a free /24. */
  ensureNetwork(req: NetworkRequest, signal?: AbortSignal): Promise<Network>;

  /** The cluster's network if it exists (never makes one: for work that must not outlive a cluster's deletion). */
  findNetwork(clusterUuid: string, signal?: AbortSignal): Promise<Network | null>;

  /**
   * Makes the machine exist, boot its payload and run. A machine of that name that runs the spec's image is returned
   * as it is; any other one of that name is removed first (volumes with `keep` stay). Returns once the machine was
   * started; its bootstrap is observed with {@link Provider.bootstrapStatus} / {@link Provider.waitBootstrap}.
   */
  ensureMachine(spec: MachineSpec, signal?: AbortSignal): Promise<Machine>;

  /** Starts a stopped machine (its payload's runcmd runs again at boot, as cloud-init's per-boot scripts do). */
  startMachine(machine: Pick<Machine, 'id' | 'name'>, signal?: AbortSignal): Promise<void>;

  /** The machines of one cluster, as they are now. */
  listMachines(clusterUuid: string, signal?: AbortSignal): Promise<Machine[]>;

  /** The machines of EVERY cluster by cluster UUID, from one provider call: the health sync's inventory. */
  observeMachines(signal?: AbortSignal): Promise<Map<string, Machine[]>>;

  /** Removes a machine and (unless `keepVolumes`) its volumes; a missing one is fine. */
  removeMachine(
    machine: Pick<Machine, 'id' | 'name'>,
    opts?: { keepVolumes?: boolean },
    signal?: AbortSignal,
  ): Promise<void>;

  /**
   * Removes everything labelled with the cluster (load balancers, machines, volumes, networks); returns how much
   * there was.
   */
  removeCluster(clusterUuid: string, signal?: AbortSignal): Promise<ClusterResources>;

  /** What is still labelled with the cluster (all zero after a complete {@link Provider.removeCluster}). */
  leftovers(clusterUuid: string, signal?: AbortSignal): Promise<ClusterResources>;

  /** Where the conductor reaches `port` (a {@link PortSpec} name) of the machine; null when it is not published. */
  endpoint(machine: Pick<Machine, 'endpoints'>, port: string): Endpoint | null;

  /** How far the machine's payload got; `tailLines` of its output are read when it failed (or always, if > 0 given). */
  bootstrapStatus(
    machine: Pick<Machine, 'id' | 'name'>,
    opts?: { tailLines?: number; signal?: AbortSignal },
  ): Promise<BootstrapStatus>;

  /**
   * Polls {@link Provider.bootstrapStatus} until the payload finished or failed (a failure's status carries the output
   * tail), or `timeoutMs` passed (status `pending`). Never throws for a failed bootstrap; reports it.
   */
  waitBootstrap(
    machine: Pick<Machine, 'id' | 'name'>,
    opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
  ): Promise<BootstrapStatus>;

  /** An image by reference, with its properties; null when it does not exist. */
  image(ref: string, signal?: AbortSignal): Promise<ImageInfo | null>;

  /** Upstream DNS resolvers for nodes of clusters that name none (local: the host's non-loopback resolvers). */
  resolvers(): Promise<string[]>;

  /**
   * Makes the load balancer exist with exactly the spec's listeners, pools, members, health monitors and allowed
   * CIDRs, on the spec's VIP (the local stand-in for Octavia). Idempotent: an unchanged spec changes nothing; a changed
   * one is applied in place (local: configuration reloaded, connections kept, VIP kept); one of that name on another
   * VIP or network is made again. Returns it as it is afterwards.
   */
  ensureLoadBalancer(spec: LoadBalancerSpec, signal?: AbortSignal): Promise<LoadBalancer>;

  /** The load balancers of one cluster, as they are now (with the listeners last applied). */
  listLoadBalancers(clusterUuid: string, signal?: AbortSignal): Promise<LoadBalancer[]>;

  /**
   * The load balancers of EVERY cluster by cluster UUID, from one provider call, state only (`listeners` and
   * `endpoints` left empty): the health sync's view of API load balancers, as {@link observeMachines} is of machines.
   */
  observeLoadBalancers(signal?: AbortSignal): Promise<Map<string, LoadBalancer[]>>;

  /** Removes a load balancer (its VIP is free afterwards); a missing one is fine. */
  removeLoadBalancer(lb: Pick<LoadBalancer, 'id' | 'name'>, signal?: AbortSignal): Promise<void>;

  /**
   * Runs `argv` as root on a running machine with `input` on its standard input and returns how it ended (local: an
   * exec in the node container; a cloud provider: its node agent). Optional: only drivers that change running nodes in
   * place (the Kubernetes ca-rotate) need it, and they refuse the operation on a provider without it.
   */
  exec?(
    machine: Pick<Machine, 'id' | 'name'>,
    argv: readonly string[],
    opts?: { input?: string; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<ExecOutcome>;
}

/** What a command run on a machine ({@link Provider.exec}) printed and how it ended. */
export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Properties every node image carries (see NODE-CONVENTION: `os_distro`, the COE family). */
export const IMAGE_PROPERTY_OS_DISTRO = 'os_distro';
export const IMAGE_PROPERTY_NODE_IMAGE = 'magnetar.node-image';
