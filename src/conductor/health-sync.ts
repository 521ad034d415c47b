/**
 * @module The periodic status and health sync: ONE pass observes ALL clusters with a constant number of provider calls,
 * writes Magnum's `health_status` / `health_status_reason`, and queues a heal for clusters with
 * `auto_healing_enabled=true` that have a dead or not-Ready node.
 *
 * Provider calls per pass: 1 inventory call per provider (local Docker: one host `GET /containers/json` filtered by
 * the label key `magnetar.cluster`, grouped by cluster), plus at most 1 call per cluster with a running manager node
 * (swarm: `GET /nodes`; docker: `GET /_ping`), plus 1 `observeLoadBalancers` call for all clusters when any
 * `master_lb_enabled` cluster's driver recorded an API load balancer (it is watched and, when gone or stopped, made
 * again from the recorded spec: `api-balancer-watch.ts`).
 * Clusters without running nodes cost nothing beyond the inventory.
 * Store: 1 lease update, 1 cluster query, 1 node-group query, 1 template query per distinct template, then one write
 * per cluster whose health changed. Only the conductor holding the `health-sync` lease runs the pass (the loop, the
 * lease and stopping are `leased-loop.ts`).
 */
import { randomUUID } from 'node:crypto';
import type { ClusterCa } from '../certs/cluster-ca.ts';
import type { FlavorTable } from '../core/flavors.ts';
import { parseBool } from '../core/labels.ts';
import type { Cluster, ClusterTemplate, Nodegroup } from '../core/types.ts';
import type { DriverLogger, HealthReport } from '../drivers/contract.ts';
import type { DriverRegistry } from '../drivers/registry.ts';
import type { LoadBalancer, Machine, Provider } from '../providers/contract.ts';
import type { ClusterNotifier } from '../notify/outbox.ts';
import { UnreadableRowError } from '../store/row-decode.ts';
import type { Store } from '../store/store.ts';
import { clusterSpec } from './cluster-spec.ts';
import { LeasedLoop, type PassControl } from './leased-loop.ts';
import {
  API_LB_REASON,
  observeApiBalancer,
  repairApiBalancer,
  watchesApiBalancer,
  withApiBalancer,
  type Balancers,
} from './api-balancer-watch.ts';

/** Name of the lease row that elects the conductor running the pass. */
export const HEALTH_LEASE = 'health-sync';

export interface HealthSyncDeps {
  store: Store;
  drivers: DriverRegistry;
  ca: ClusterCa;
  /** The provider's bulk observation (the local Docker provider lists every cluster's machines in one host call). */
  inventory: Pick<Provider, 'observeMachines'>;
  /** The provider's load balancers: the API load balancer of `master_lb_enabled` clusters is watched (absent: not). */
  balancers?: Balancers;
  log: DriverLogger;
  /** Identifies this conductor in the lease. */
  owner: string;
  /** Called after a heal was queued (the in-process worker's wake). */
  wake?: () => void;
  flavors?: FlavorTable;
  /** Builds the update-pending notification of a queued heal (absent: none). */
  notifier?: ClusterNotifier | undefined;
}

export interface HealthSyncOptions {
  /** Period of the pass. */
  periodMs: number;
  /** Health checks run at once. @default 8 */
  concurrency?: number;
}

/** What one pass did. */
export interface PassSummary {
  /** False when another conductor holds the lease (nothing was done). */
  ran: boolean;
  clusters: number;
  checked: number;
  changed: number;
  healed: string[];
  /** Clusters whose rows could not be read (marked, not checked). */
  unreadable: string[];
  /** Clusters whose API load balancer was made to serve again. */
  repaired: string[];
  byStatus: Record<string, number>;
}

export class HealthSync {
  readonly #deps: HealthSyncDeps;
  readonly #opts: Required<HealthSyncOptions>;
  readonly #loop: LeasedLoop<PassSummary>;

  constructor(deps: HealthSyncDeps, opts: HealthSyncOptions) {
    this.#deps = deps;
    this.#opts = { concurrency: 8, ...opts };
    this.#loop = new LeasedLoop(
      {
        lease: HEALTH_LEASE,
        owner: deps.owner,
        periodMs: opts.periodMs,
        leases: deps.store.health,
        log: deps.log,
        what: 'health sync',
      },
      (ctl) => this.#pass(ctl),
    );
  }

  /** Runs a pass now and then every period, until {@link HealthSync.stop}. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop, waits for a running pass, and gives the lease up. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** One pass over all clusters (if this conductor holds, or can take, the lease). */
  runOnce(): Promise<PassSummary> {
    return this.#loop.runOnce();
  }

  async #pass(ctl: PassControl): Promise<PassSummary> {
    const { store, inventory, balancers } = this.#deps;
    const summary: PassSummary = {
      ran: false,
      clusters: 0,
      checked: 0,
      changed: 0,
      healed: [],
      unreadable: [],
      repaired: [],
      byStatus: {},
    };
    if (!(await ctl.acquire())) return summary;
    summary.ran = true;

    // A row that cannot be read costs its own cluster the check (it is marked, see #markUnreadable), nothing more.
    const bad = new Map<string, UnreadableRowError>();
    const note = (e: UnreadableRowError): void => {
      if (e.cluster && !bad.has(e.cluster)) bad.set(e.cluster, e);
    };
    const read = await store.health.clustersToCheck();
    read.unreadable.forEach(note);
    const clusters = read.clusters;
    summary.clusters = clusters.length + read.unreadable.length;
    const ngs = groupBy(
      await store.clusters.nodegroups(
        clusters.map((c) => c.uuid),
        note,
      ),
      (n) => n.cluster_id,
    );
    const templates = new Map<string, ClusterTemplate | undefined>();
    for (const id of new Set(clusters.map((c) => c.cluster_template_id))) {
      try {
        templates.set(id, await store.templates.getByUuid(id));
      } catch (e) {
        if (!(e instanceof UnreadableRowError)) throw e;
        for (const c of clusters)
          if (c.cluster_template_id === id) note(new UnreadableRowError(e.row, e.detail, { cluster: c.uuid }));
      }
    }
    for (const [uuid, e] of bad) {
      summary.unreadable.push(uuid);
      await this.#markUnreadable(uuid, e);
    }
    const queue = clusters.filter((c) => !bad.has(c.uuid));
    if (queue.length === 0) return summary;
    const observed = await inventory.observeMachines(ctl.signal);
    const balancersSeen = await this.#observeBalancers(ctl.signal, queue);

    let lost = false;
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        if (ctl.signal.aborted || lost) return;
        // A long pass keeps its lease, or stops if another conductor took it meanwhile.
        if (!(await ctl.keep())) lost = true;
        if (lost) return;
        const report = await this.#check(
          ctl.signal,
          c,
          templates.get(c.cluster_template_id),
          ngs.get(c.uuid) ?? [],
          observed.get(c.uuid) ?? [],
        );
        if (!report) continue;
        // Observe the API load balancer, record what was seen, then repair it.
        const lb = balancersSeen ? observeApiBalancer(c, balancersSeen.get(c.uuid) ?? []) : undefined;
        const full = lb ? withApiBalancer(report, lb) : report;
        summary.checked++;
        summary.byStatus[full.status] = (summary.byStatus[full.status] ?? 0) + 1;
        if (await this.#record(c, full)) summary.changed++;
        if (await this.#maybeHeal(c, full)) summary.healed.push(c.uuid);
        if (lb && balancers && (await repairApiBalancer({ ...this.#deps, balancers }, c, lb, ctl.signal)))
          summary.repaired.push(c.uuid);
      }
    };
    await Promise.all(Array.from({ length: this.#opts.concurrency }, worker));
    return summary;
  }

  /**
   * Every cluster's load balancers from one provider call, when some cluster of the pass has its API load balancer
   * watched; undefined when none is, or when they cannot be observed (logged; the pass goes on without the watch).
   */
  async #observeBalancers(signal: AbortSignal, clusters: Cluster[]): Promise<Map<string, LoadBalancer[]> | undefined> {
    const { balancers } = this.#deps;
    if (!balancers || !clusters.some(watchesApiBalancer)) return undefined;
    try {
      return await balancers.observeLoadBalancers(signal);
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      this.#deps.log.warn({ err: (e as Error).message }, 'API load balancers not observable');
      return undefined;
    }
  }

  /** A cluster whose rows cannot be read: its status_reason names the row and the cause; health UNKNOWN; logged. */
  async #markUnreadable(uuid: string, e: UnreadableRowError): Promise<void> {
    this.#deps.log.warn({ cluster: uuid, err: e.message }, 'health check skipped: unreadable row');
    try {
      if (await this.#deps.store.health.markUnreadable(uuid, e.message)) {
        await this.#deps.store.events.append({
          cluster_id: uuid,
          phase: 'health',
          level: 'error',
          message: `health UNKNOWN: ${e.message}`,
        });
      }
    } catch (err) {
      this.#deps.log.warn({ cluster: uuid, err: (err as Error).message }, 'recording an unreadable row failed');
    }
  }

  async #check(
    signal: AbortSignal,
    c: Cluster,
    t: ClusterTemplate | undefined,
    ngs: Nodegroup[],
    nodes: Machine[],
  ): Promise<HealthReport | undefined> {
    if (!t) return undefined;
    const driver = this.#deps.drivers.find(t.server_type, t.cluster_distro, t.coe);
    if (!driver?.checkHealth || !driver.capabilities.has('health')) return undefined;
    const { ca } = this.#deps;
    try {
      return await driver.checkHealth({
        cluster: clusterSpec(c, t, ngs, this.#deps.flavors),
        nodes,
        pki: { caPem: (await ca.caPem(c.uuid)) ?? '', conductorClient: () => ca.conductorClient(c.uuid) },
        signal,
      });
    } catch (e) {
      this.#deps.log.warn({ cluster: c.uuid, err: (e as Error).message }, 'health check failed');
      return undefined;
    }
  }

  /** Writes the health when it changed; a status change goes on the timeline. */
  async #record(c: Cluster, r: HealthReport): Promise<boolean> {
    if (c.health_status === r.status && sameReason(c.health_status_reason, r.reason)) return false;
    const written = await this.#deps.store.health.setHealth(c.uuid, r.status, r.reason);
    if (written && c.health_status !== r.status) {
      const lb = r.reason[API_LB_REASON];
      const why = r.failed.length
        ? `: not Ready ${r.failed.join(', ')}`
        : r.reason.api && r.reason.api !== 'ok'
          ? `: ${r.reason.api}`
          : lb && lb !== 'ok'
            ? `: ${lb}`
            : '';
      await this.#deps.store.events.append({
        cluster_id: c.uuid,
        phase: 'health',
        level: r.status === 'HEALTHY' ? 'info' : 'warning',
        message: `health ${c.health_status ?? 'none'} → ${r.status}${why}`,
      });
    }
    return written;
  }

  /** Queues a `cluster_update` (action heal) when auto-healing is on and nodes failed; false if not needed or refused. */
  async #maybeHeal(c: Cluster, r: HealthReport): Promise<boolean> {
    if (r.status !== 'UNHEALTHY' || r.failed.length === 0 || parseBool(c.labels.auto_healing_enabled ?? '') !== true)
      return false;
    const now = new Date().toISOString();
    const queued = await this.#deps.store.clusters.startUpdate(
      c.uuid,
      {
        uuid: randomUUID(),
        cluster_id: c.uuid,
        kind: 'cluster_update',
        deadline: Date.now() + c.create_timeout * 60_000,
        created_at: now,
        payload: { action: 'heal' },
      },
      {
        cluster_id: c.uuid,
        phase: 'health',
        level: 'warning',
        message: `auto-healing: replacing or restarting ${r.failed.join(', ')}`,
      },
      now,
      undefined,
      this.#deps.notifier?.cluster('update', 'pending'),
    );
    if (queued) this.#deps.wake?.();
    return queued;
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(it);
  }
  return out;
}

function sameReason(a: Record<string, string> | null, b: Record<string, string>): boolean {
  if (!a) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
