/**
 * @module The load-balancer sync: every `conductor.lb_sync_seconds` (2 s by default), the conductor holding the
 * `lb-sync` lease asks each cluster's driver that declares `load-balancers` to bring the provider's load balancers in
 * line with what the cluster asks for (Kubernetes: Services of type LoadBalancer; `drivers/kubernetes/service-lb-sync.ts`).
 * Clusters being created or deleted are left alone. One cluster's failure (apiserver down, provider error) is logged
 * when it changes and never stops the others; the next pass tries again. Killing the conductor at any point is safe:
 * drivers observe before they act, and another conductor takes the lease after its expiry.
 */
import type { ClusterCa } from '../certs/cluster-ca.ts';
import type { FlavorTable } from '../core/flavors.ts';
import type { Cluster, ClusterTemplate, Nodegroup } from '../core/types.ts';
import type { Driver, DriverLogger, LoadBalancerSyncReport } from '../drivers/contract.ts';
import type { DriverRegistry } from '../drivers/registry.ts';
import { UnreadableRowError } from '../store/row-decode.ts';
import type { Store } from '../store/store.ts';
import { clusterSpec } from './cluster-spec.ts';

/** Name of the lease row that elects the conductor running the load-balancer sync. */
export const LB_LEASE = 'lb-sync';

export interface LoadBalancerSyncDeps {
  store: Store;
  drivers: DriverRegistry;
  ca: ClusterCa;
  log: DriverLogger;
  /** Identifies this conductor in the lease. */
  owner: string;
  flavors?: FlavorTable;
}

export interface LoadBalancerSyncOptions {
  periodMs: number;
  /** Bound of one cluster's sync. @default 30 s */
  clusterTimeoutMs?: number;
  /** Clusters synced at once. @default 4 */
  concurrency?: number;
}

/** What one pass did. */
export interface LbPassSummary {
  ran: boolean;
  clusters: number;
  failed: number;
  reports: Map<string, LoadBalancerSyncReport>;
}

export class LoadBalancerSync {
  readonly #deps: LoadBalancerSyncDeps;
  readonly #opts: Required<LoadBalancerSyncOptions>;
  readonly #ctrl = new AbortController();
  /** Last failure message per cluster: logged as a warning once per change, not every pass. */
  readonly #lastError = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<LbPassSummary> | undefined;
  #stopped = true;

  constructor(deps: LoadBalancerSyncDeps, opts: LoadBalancerSyncOptions) {
    this.#deps = deps;
    this.#opts = { clusterTimeoutMs: 30_000, concurrency: 4, ...opts };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const loop = async (): Promise<void> => {
      if (this.#stopped) return;
      try {
        await this.runOnce();
      } catch (e) {
        this.#deps.log.warn({ err: (e as Error).message }, 'load-balancer sync pass failed');
      }
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), this.#opts.periodMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ctrl.abort(new Error('load-balancer sync stopping'));
    await this.#running?.catch(() => undefined);
    await this.#deps.store.health.releaseLease(LB_LEASE, this.#deps.owner).catch(() => undefined);
  }

  runOnce(): Promise<LbPassSummary> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<LbPassSummary> {
    const { store, drivers } = this.#deps;
    const summary: LbPassSummary = { ran: false, clusters: 0, failed: 0, reports: new Map() };
    const coes = [
      ...new Set(
        drivers
          .all()
          .filter((d) => d.syncLoadBalancers && d.capabilities.has('load-balancers'))
          .flatMap((d) => d.provides.map((k) => k.coe)),
      ),
    ];
    // Unreadable rows are skipped here: the health sync marks them.
    const { clusters } = await store.health.clustersForLoadBalancers(coes);
    if (clusters.length === 0) return summary; // nothing to do: no lease taken, nothing written
    const ttl = Math.max(3 * this.#opts.periodMs, 15_000);
    if (!(await store.health.acquireLease(LB_LEASE, this.#deps.owner, ttl))) return summary;
    summary.ran = true;
    const templates = new Map<string, ClusterTemplate | undefined>();
    const queue: { uuid: string; run: () => Promise<LoadBalancerSyncReport> }[] = [];
    const wanted: { c: Cluster; t: ClusterTemplate; driver: Driver }[] = [];
    for (const c of clusters) {
      if (!templates.has(c.cluster_template_id)) {
        templates.set(
          c.cluster_template_id,
          await store.templates.getByUuid(c.cluster_template_id).catch((e: unknown) => {
            if (e instanceof UnreadableRowError) return undefined;
            throw e;
          }),
        );
      }
      const t = templates.get(c.cluster_template_id);
      const driver = t && drivers.find(t.server_type, t.cluster_distro, t.coe);
      if (t && driver?.syncLoadBalancers && driver.capabilities.has('load-balancers')) wanted.push({ c, t, driver });
    }
    if (wanted.length === 0) return summary;
    const ngs = new Map<string, Nodegroup[]>();
    const rows = await store.clusters.nodegroups(
      wanted.map((w) => w.c.uuid),
      () => undefined,
    );
    for (const n of rows) ngs.set(n.cluster_id, [...(ngs.get(n.cluster_id) ?? []), n]);
    const { ca } = this.#deps;
    for (const { c, t, driver } of wanted) {
      const sync = driver.syncLoadBalancers?.bind(driver);
      if (!sync) continue;
      queue.push({
        uuid: c.uuid,
        run: async () => {
          const signal = AbortSignal.any([this.#ctrl.signal, AbortSignal.timeout(this.#opts.clusterTimeoutMs)]);
          return sync({
            cluster: clusterSpec(c, t, ngs.get(c.uuid) ?? [], this.#deps.flavors),
            pki: { caPem: (await ca.caPem(c.uuid)) ?? '', conductorClient: () => ca.conductorClient(c.uuid) },
            signal,
            log: this.#deps.log,
            event: (phase, message, level = 'info') =>
              store.events.append({ cluster_id: c.uuid, phase, level, message }),
          });
        },
      });
    }
    summary.clusters = queue.length;
    const worker = async (): Promise<void> => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (this.#ctrl.signal.aborted) return;
        try {
          summary.reports.set(job.uuid, await job.run());
          if (this.#lastError.delete(job.uuid))
            this.#deps.log.info({ cluster: job.uuid }, 'load-balancer sync works again');
        } catch (e) {
          summary.failed++;
          const msg = (e as Error).message;
          if (this.#lastError.get(job.uuid) !== msg) {
            this.#lastError.set(job.uuid, msg);
            this.#deps.log.warn({ cluster: job.uuid, err: msg }, 'load-balancer sync failed');
          }
        }
      }
    };
    await Promise.all(Array.from({ length: this.#opts.concurrency }, worker));
    return summary;
  }
}
