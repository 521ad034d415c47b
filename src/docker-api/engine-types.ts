/** @module docker-api/engine-types: the parts of the Docker Engine API (v1.41) objects that Magnetar uses (host and node engines). */

/** Labels as the engine stores them. */
export type Labels = Record<string, string>;

/** A `PortBindings` entry. */
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** A `HostConfig.Mounts` entry. */
export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Labels;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The container `HostConfig` fields Magnetar sets. */
export interface HostConfig {
  Init?: boolean;
  Privileged?: boolean;
  CapAdd?: string[];
  CapDrop?: string[];
  SecurityOpt?: string[];
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  DeviceCgroupRules?: string[];
  CgroupnsMode?: 'private' | 'host';
  Mounts?: MountSpec[];
  Binds?: string[];
  PortBindings?: Record<string, PortBinding[]>;
  NetworkMode?: string;
  RestartPolicy?: { Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure'; MaximumRetryCount?: number };
  Memory?: number;
  NanoCpus?: number;
  AutoRemove?: boolean;
  [key: string]: unknown;
}

/** Body of `POST /containers/create`. */
export interface ContainerCreateSpec {
  Image: string;
  Hostname?: string;
  Labels?: Labels;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  ExposedPorts?: Record<string, Record<string, never>>;
  StopTimeout?: number;
  HostConfig?: HostConfig;
  NetworkingConfig?: {
    EndpointsConfig?: Record<string, { IPAMConfig?: { IPv4Address?: string }; Aliases?: string[] }>;
  };
  [key: string]: unknown;
}

/** An entry of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Labels: Labels;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; NetworkID?: string }> };
}

/** The result of `GET /containers/{id}/json` (partial). */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  Config: { Hostname: string; Image: string; Labels: Labels | null; Env: string[] | null };
  HostConfig: HostConfig;
  Mounts: { Type: string; Name?: string; Source: string; Destination: string }[];
  NetworkSettings: {
    Ports?: Record<string, PortBinding[] | null>;
    Networks?: Record<string, { IPAddress?: string; NetworkID?: string; Gateway?: string }>;
  };
}

/** An IPAM pool of a network. */
export interface IpamConfig {
  Subnet?: string;
  Gateway?: string;
  IPRange?: string;
}

/** An entry of `GET /networks`. */
export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal: boolean;
  Labels: Labels | null;
  IPAM: { Driver: string; Config: IpamConfig[] | null; Options?: Record<string, string> | null };
  Options?: Record<string, string> | null;
}

/** Body of `POST /networks/create`. */
export interface NetworkCreateSpec {
  Name: string;
  Driver?: string;
  CheckDuplicate?: boolean;
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfig[] };
  Options?: Record<string, string>;
  Labels?: Labels;
}

/** An entry of `GET /volumes`. */
export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Labels | null;
  Scope: string;
  CreatedAt?: string;
}

/** The result of `GET /images/{name}/json` (partial). */
export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  Created: string;
  Size: number;
  Architecture: string;
  Os: string;
  Config: {
    Labels: Labels | null;
    Env: string[] | null;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    ExposedPorts?: Record<string, object> | null;
  } | null;
}

/** Body of `POST /swarm/init`. */
export interface SwarmInitSpec {
  ListenAddr: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  DataPathPort?: number;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  ForceNewCluster?: boolean;
  Spec?: Record<string, unknown>;
}

/** Body of `POST /swarm/join`. */
export interface SwarmJoinSpec {
  ListenAddr: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  RemoteAddrs: string[];
  JoinToken: string;
}

/** An object version, for optimistic updates. */
export interface ObjectVersion {
  Index: number;
}

/** The result of `GET /swarm` (partial). */
export interface SwarmInspect {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: Record<string, unknown>;
  JoinTokens: { Worker: string; Manager: string };
  DefaultAddrPool?: string[];
  SubnetSize?: number;
}

/** `Spec` of a swarm node. */
export interface NodeSpec {
  Name?: string;
  Labels?: Labels;
  Role: 'worker' | 'manager';
  Availability: 'active' | 'pause' | 'drain';
}

/** A swarm node (`GET /nodes`, `GET /nodes/{id}`; partial). */
export interface SwarmNode {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: NodeSpec;
  Description: { Hostname: string; Engine?: { EngineVersion: string; Labels?: Labels } };
  Status: { State: 'unknown' | 'down' | 'ready' | 'disconnected'; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
}

/** A swarm task (`GET /tasks`; partial). */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  Status: {
    Timestamp: string;
    State: string;
    Message: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string };
  };
  Spec: Record<string, unknown>;
}

/** Body of `POST /services/create` (the parts Magnetar sets; extra fields pass through). */
export interface ServiceSpec {
  Name: string;
  Labels?: Labels;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Command?: string[];
      Args?: string[];
      Env?: string[];
      Labels?: Labels;
      Init?: boolean;
      [key: string]: unknown;
    };
    Networks?: { Target: string; Aliases?: string[] }[];
    Placement?: { Constraints?: string[]; MaxReplicas?: number };
    RestartPolicy?: { Condition?: 'none' | 'on-failure' | 'any'; Delay?: number; MaxAttempts?: number };
    [key: string]: unknown;
  };
  Mode?: { Replicated?: { Replicas: number }; Global?: Record<string, never> };
  EndpointSpec?: {
    Mode?: 'vip' | 'dnsrr';
    Ports?: {
      Protocol?: 'tcp' | 'udp';
      TargetPort: number;
      PublishedPort?: number;
      PublishMode?: 'ingress' | 'host';
    }[];
  };
  [key: string]: unknown;
}

/** A swarm service (`GET /services`; partial). */
export interface SwarmService {
  ID: string;
  Version: ObjectVersion;
  Spec: ServiceSpec;
}

/** The result of `GET /info` (partial). */
export interface SystemInfo {
  ID: string;
  Name: string;
  ServerVersion: string;
  Containers: number;
  Images: number;
  Driver: string;
  CgroupDriver: string;
  CgroupVersion?: string;
  OperatingSystem: string;
  NCPU: number;
  MemTotal: number;
  SecurityOptions: string[];
  Swarm: {
    NodeID: string;
    NodeAddr: string;
    LocalNodeState: 'inactive' | 'pending' | 'active' | 'error' | 'locked';
    ControlAvailable: boolean;
    Error: string;
    Cluster?: { ID: string } | null;
  };
}

/** The result of `GET /version` (partial). */
export interface SystemVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
}
