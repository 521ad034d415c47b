/** @module What the HTTP edge is given by the composition root. */
import type { ClusterCa } from '../certs/cluster-ca.ts';
import type { Config } from '../config/load.ts';
import type { ImageCatalog } from '../core/ports.ts';
import type { CloudAccess } from '../openstack/cloud-access.ts';
import type { Caller } from '../core/types.ts';
import type { DriverRegistry } from '../drivers/registry.ts';
import type { ClusterNotifier } from '../notify/outbox.ts';
import type { Store } from '../store/store.ts';
import type { FairGate } from './fair-gate.ts';
import type { Authenticator } from './keystone-auth.ts';
import type { ApiVersion } from './microversion.ts';

export interface ApiDeps {
  store: Store;
  drivers: DriverRegistry;
  images: ImageCatalog;
  ca: ClusterCa;
  config: Config;
  /** Tells an in-process conductor that work was queued (no-op when the conductor runs elsewhere). */
  wake: () => void;
  /** Builds the pending notifications the store writes with each state change (absent: none). */
  notifier?: ClusterNotifier | undefined;
  /**
   * Domain of the clusters' trustee users (Keystone trusts): callers from it are denied by `deny_cluster_user`
   * (absent: `cloud`'s known trustee domain, if any).
   */
  trusteeDomainId?: string | undefined;
  /**
   * Keystone mode with trusts configured: Glance look-ups, project checks and the trust of each new cluster (absent:
   * local images only, no project check, no trusts).
   */
  cloud?: CloudAccess | undefined;
  /** Who is calling (absent: from the configuration, auth.mode noauth or keystone). */
  authenticator?: Authenticator | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Fair turns for rendering list pages (api/fair-gate.ts), one gate per application. */
    listGate: FairGate;
  }
  interface FastifyRequest {
    caller: Caller;
    apiVersion: ApiVersion;
    /** The peer is one of `api.trusted_proxies`: its X-Forwarded-* headers are believed. */
    fromTrustedProxy: boolean;
  }
  interface FastifyContextConfig {
    /** wsme's name of the body argument, used in "Unknown attribute for argument <arg>". */
    bodyArg?: string;
    /** Lowest microversion (minor) at which the route exists. */
    minVersion?: number;
    /** Controller method name for the version-gate 406 message. */
    controllerMethod?: string;
  }
}
