/**
 * @module The load-balancer sync: every `conductor.lb_sync_seconds` (2 s by default), the conductor holding the
 * `lb-sync` lease asks each cluster's driver that declares `load-balancers` to bring the provider's load balancers in
 * line with what the cluster asks for (Kubernetes: Services of type LoadBalancer; `drivers/kubernetes/service-lb-sync.ts`).
 * Clusters being created or deleted are left alone. One cluster never holds up the others: its sync is bounded
 * (`clusterTimeoutMs`), a pass waits for it at most `waitMs` and then goes on while it finishes in the background (the
 * next passes skip a cluster whose sync is still running), and a cluster whose sync failed (apiserver down or hung,
 * provider error) is tried again only after an exponential backoff (`core/retry-backoff.ts`: `backoffBaseMs`,
 * doubled per failure in a row, at most `backoffMaxMs`), behind the clusters that work. A failure's reason is logged
 * and put on the cluster's timeline when it changes, and so is the recovery. Killing the conductor at any point is
 * safe: drivers observe before they act, and another conductor takes the lease after its expiry. The loop, the lease
 * and stopping are `leased-loop.ts`.
 */
import type { ClusterCa } from '../certs/cluster-ca.ts';
import type { FlavorTable } from '../core/flavors.ts';
import { RetryBackoff } from '../core/retry-backoff.ts';
import type { Cluster, ClusterTemplate, Nodegroup } from '../core/types.ts';
import type { Driver, DriverLogger, LoadBalancerSyncReport } from '../drivers/contract.ts';
import type { DriverRegistry } from '../drivers/registry.ts';
import { UnreadableRowError } from '../store/row-decode.ts';
import type { Store } from '../store/store.ts';
import { clusterSpec } from './cluster-spec.ts';
import { LeasedLoop, type PassControl } from './leased-loop.ts';

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
  /** Bound of one cluster's sync (it is aborted then, and counts as failed). @default 30 s */
  clusterTimeoutMs?: number;
  /** How long a pass waits for one cluster's sync before it goes on without it (the sync carries on). @default 5 s */
  waitMs?: number;
  /** Wait before a cluster whose sync failed is tried again; doubled per failure in a row. @default 4 s */
  backoffBaseMs?: number;
  /** Bound of that wait. @default 120 s */
  backoffMaxMs?: number;
  /** Clusters synced at once. @default 4 */
  concurrency?: number;
}

/** What one pass did. */
export interface LbPassSummary {
  ran: boolean;
  /** Clusters this pass started a sync of. */
  clusters: number;
  /** Syncs that failed within the pass. */
  failed: number;
  reports: Map<string, LoadBalancerSyncReport>;
  /** Clusters left for later: still backing off after a failure, or a sync of theirs still running. */
  deferred: string[];
  /** Clusters whose sync outlasted `waitMs`: the pass went on, the sync finishes in the background. */
  slow: string[];
}

export class LoadBalancerSync {
  readonly #deps: LoadBalancerSyncDeps;
  readonly #opts: Required<LoadBalancerSyncOptions>;
  readonly #loop: LeasedLoop<LbPassSummary>;
  /** Clusters whose sync failed: when each may be tried again, and why it failed. */
  readonly #backoff: RetryBackoff;
  /** Syncs still running (at most one per cluster), started by this or an earlier pass. */
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(deps: LoadBalancerSyncDeps, opts: LoadBalancerSyncOptions) {
    this.#deps = deps;
    this.#opts = {
      clusterTimeoutMs: 30_000,
      waitMs: 5_000,
      backoffBaseMs: 4_000,
      backoffMaxMs: 120_000,
      concurrency: 4,
      ...opts,
    };
    this.#backoff = new RetryBackoff({ baseMs: this.#opts.backoffBaseMs, maxMs: this.#opts.backoffMaxMs });
    this.#loop = new LeasedLoop(
      {
        lease: LB_LEASE,
        owner: deps.owner,
        periodMs: opts.periodMs,
        leases: deps.store.health,
        log: deps.log,
        what: 'load-balancer sync',
        drain: () => Promise.allSettled(this.#inflight.values()),
      },
      (ctl) => this.#pass(ctl),
    );
  }

  start(): void {
    this.#loop.start();
  }

  /** Stops the loop, waits for the running pass and the syncs still in flight (aborted), and gives the lease up. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  runOnce(): Promise<LbPassSummary> {
    return this.#loop.runOnce();
  }

  async #pass(ctl: PassControl): Promise<LbPassSummary> {
    const { store, drivers } = this.#deps;
    const summary: LbPassSummary = {
      ran: false,
      clusters: 0,
      failed: 0,
      reports: new Map(),
      deferred: [],
      slow: [],
    };
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
    this.#backoff.retain(new Set(clusters.map((c) => c.uuid)));
    if (clusters.length === 0) return summary; // nothing to do: no lease taken, nothing written
    if (!(await ctl.acquire())) return summary;
    summary.ran = true;
    const templates = new Map<string, ClusterTemplate | undefined>();
    const wanted: { c: Cluster; t: ClusterTemplate; driver: Driver }[] = [];
    const now = Date.now();
    for (const c of clusters) {
      if (this.#inflight.has(c.uuid) || !this.#backoff.due(c.uuid, now)) {
        summary.deferred.push(c.uuid);
        continue;
      }
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
    // Clusters that work first; those trying again after a failure last.
    wanted.sort((a, b) => Number(this.#backoff.failing(a.c.uuid)) - Number(this.#backoff.failing(b.c.uuid)));
    const ngs = new Map<string, Nodegroup[]>();
    const rows = await store.clusters.nodegroups(
      wanted.map((w) => w.c.uuid),
      () => undefined,
    );
    for (const n of rows) ngs.set(n.cluster_id, [...(ngs.get(n.cluster_id) ?? []), n]);
    const queue = wanted.map((w) => ({ ...w, ngs: ngs.get(w.c.uuid) ?? [] }));
    summary.clusters = queue.length;
    const worker = async (): Promise<void> => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (ctl.signal.aborted) return;
        const uuid = job.c.uuid;
        let outcome: { report: LoadBalancerSyncReport } | { error: string } | undefined;
        const run = this.#syncOne(ctl.signal, job.c, job.t, job.driver, job.ngs)
          .then(
            (report) => (outcome = { report }),
            (e: unknown) => (outcome = { error: (e as Error).message }),
          )
          .then(() => this.#settled(uuid, outcome))
          .finally(() => this.#inflight.delete(uuid));
        this.#inflight.set(uuid, run);
        await within(run, this.#opts.waitMs);
        if (!outcome) summary.slow.push(uuid);
        else if ('report' in outcome) summary.reports.set(uuid, outcome.report);
        else summary.failed++;
      }
    };
    await Promise.all(Array.from({ length: this.#opts.concurrency }, worker));
    return summary;
  }

  /** One cluster's sync, bounded by `clusterTimeoutMs` (a timeout is named as such). */
  async #syncOne(
    stop: AbortSignal,
    c: Cluster,
    t: ClusterTemplate,
    driver: Driver,
    ngs: Nodegroup[],
  ): Promise<LoadBalancerSyncReport> {
    const { ca, store } = this.#deps;
    const sync = driver.syncLoadBalancers?.bind(driver);
    if (!sync) return { ensured: [], removed: [], published: [] };
    const timeout = AbortSignal.timeout(this.#opts.clusterTimeoutMs);
    try {
      return await sync({
        cluster: clusterSpec(c, t, ngs, this.#deps.flavors),
        pki: { caPem: (await ca.caPem(c.uuid)) ?? '', conductorClient: () => ca.conductorClient(c.uuid) },
        signal: AbortSignal.any([stop, timeout]),
        log: this.#deps.log,
        event: (phase, message, level = 'info') => store.events.append({ cluster_id: c.uuid, phase, level, message }),
      });
    } catch (e) {
      if (timeout.aborted && !stop.aborted)
        throw new Error(`no answer within ${this.#opts.clusterTimeoutMs / 1000} s (${(e as Error).message})`, {
          cause: e,
        });
      throw e;
    }
  }

  /** Books a finished sync: a failure backs the cluster off (reason logged and on its timeline when it changes). */
  async #settled(
    uuid: string,
    outcome: { report: LoadBalancerSyncReport } | { error: string } | undefined,
  ): Promise<void> {
    if (!outcome) return;
    const { log, store } = this.#deps;
    if ('report' in outcome) {
      const was = this.#backoff.succeeded(uuid);
      if (!was) return;
      log.info({ cluster: uuid, failures: was.failures }, 'load-balancer sync works again');
      await store.events
        .append({
          cluster_id: uuid,
          phase: 'load-balancer',
          level: 'info',
          message: `load-balancer sync works again (after ${was.failures} failed ${was.failures === 1 ? 'try' : 'tries'})`,
        })
        .catch(() => undefined);
      return;
    }
    if (this.#loop.signal.aborted) return; // stopped: not the cluster's fault
    const before = this.#backoff.entry(uuid)?.reason;
    const e = this.#backoff.failed(uuid, Date.now(), outcome.error);
    const next = `next try in ${Math.round(e.delayMs / 1000)} s`;
    if (before === outcome.error) {
      log.debug(
        { cluster: uuid, err: outcome.error, failures: e.failures },
        `load-balancer sync failed again; ${next}`,
      );
      return;
    }
    log.warn({ cluster: uuid, err: outcome.error, failures: e.failures }, `load-balancer sync failed; ${next}`);
    await store.events
      .append({
        cluster_id: uuid,
        phase: 'load-balancer',
        level: 'warning',
        message: `load-balancer sync failed: ${outcome.error}; tried again with backoff (${next})`,
      })
      .catch(() => undefined);
  }
}

/** Waits for `p` at most `ms` (the timer does not outlive it). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
