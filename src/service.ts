/**
 * @module Composition root: the only place that constructs real implementations (store, provider, drivers, CA,
 * API, conductor) and wires them together. `magnetar serve` runs both halves in one process.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApi } from './api/app.ts';
import { KeystoneAuthenticator } from './api/keystone-auth.ts';
import { ClusterCa } from './certs/cluster-ca.ts';
import { KeySealer, loadMasterKeyFor } from './certs/key-sealing.ts';
import { checkApiExposure, type Config } from './config/load.ts';
import { StartupError } from './config/startup-error.ts';
import { ClusterTrusts } from './conductor/cluster-trust.ts';
import { HealthSync } from './conductor/health-sync.ts';
import { Heartbeat, type ServiceBinary } from './conductor/heartbeat.ts';
import { LoadBalancerSync } from './conductor/lb-sync.ts';
import { Worker } from './conductor/worker.ts';
import type { ImageCatalog } from './core/ports.ts';
import { DriverRegistry } from './drivers/registry.ts';
import { DockerDriver } from './drivers/docker/driver.ts';
import { KubernetesDriver } from './drivers/kubernetes/driver.ts';
import { SwarmDriver } from './drivers/swarm/driver.ts';
import { Engine } from './docker-api/engine.ts';
import { dockerImageCatalog } from './providers/docker/image-catalog.ts';
import { DockerProvider } from './providers/docker/provider.ts';
import { ClusterNotifier } from './notify/outbox.ts';
import { cloudAccess } from './openstack/cloud-access.ts';
import { isTransient, OpenStackError, TrustKeystone, trustsConfigured } from './openstack/keystone-trusts.ts';
import { OutboxPublisher } from './notify/publisher.ts';
import { serviceSession } from './openstack/service-session.ts';
import type { KeystoneSession } from './openstack/session.ts';
import { openDb } from './store/database.ts';
import { MASTER_KEY_FILE, prepareStateDir } from './store/state-dir.ts';
import { Store } from './store/store.ts';

/** A running Magnetar: API and/or conductor over one store. */
export interface Service {
  config: Config;
  store: Store;
  api: FastifyInstance | undefined;
  worker: Worker | undefined;
  /** The periodic status and health sync (runs where the conductor runs, when `conductor.sync_seconds` > 0). */
  healthSync: HealthSync | undefined;
  /** The load-balancer sync (runs where the conductor runs, when `conductor.lb_sync_seconds` > 0). */
  lbSync: LoadBalancerSync | undefined;
  /** Drains the notification outbox (runs where the conductor runs). */
  publisher: OutboxPublisher | undefined;
  log: Logger;
  /** One heartbeat per half this process runs (GET /v1/mservices). */
  heartbeats: Heartbeat[];
  /** The URL the API listens on, when it runs. */
  url: string | undefined;
  /** The service's own Keystone session (token validation, catalog look-ups), when keystone.auth_url is set. */
  keystone: KeystoneSession | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  api?: boolean;
  conductor?: boolean;
  logger?: Logger;
}

/**
 * Starts what `opts` asks for. Faults the operator can fix (state dir, database, master key, address in use) reject
 * with a {@link StartupError} whose message is one line naming the problem and the fix; whatever was started is
 * stopped again first.
 */
export async function startService(config: Config, opts: StartOptions = {}): Promise<Service> {
  if (opts.api ?? true) checkApiExposure(config);
  const log = opts.logger ?? pino({ level: config.log.level, base: { svc: 'magnetar' } });
  prepareStateDir(config.stateDir);
  const store = new Store(await openDb({ url: config.databaseUrl }));
  const host = new Engine({ socketPath: config.docker.socket });
  let worker: Worker | undefined;
  let publisher: OutboxPublisher | undefined;
  let healthSync: HealthSync | undefined;
  let lbSync: LoadBalancerSync | undefined;
  let api: FastifyInstance | undefined;
  let heartbeats: Heartbeat[] = [];
  let keystone: KeystoneSession | undefined;
  const stopAll = async (): Promise<void> => {
    await Promise.all(heartbeats.map((h) => h.stop()));
    await api?.close();
    await healthSync?.stop();
    await lbSync?.stop();
    await worker?.stop();
    await publisher?.stop();
    host.close();
    await store.close();
  };
  try {
    const keyPath = join(config.stateDir, MASTER_KEY_FILE);
    const sealer = new KeySealer(await loadMasterKeyFor(keyPath, await store.certificates.sealedSample()));
    const ca = new ClusterCa(store.certificates, sealer);
    const images: ImageCatalog = dockerImageCatalog(host);
    const drivers = new DriverRegistry();
    // Where nodes come from (the provider) is wired into what runs on them (the drivers) here, and only here.
    const provider = new DockerProvider(host, { probeImage: config.docker.nodeImage });
    drivers.register(new SwarmDriver({ provider, serveVm: true }), config.drivers.disabled);
    drivers.register(new DockerDriver({ provider, serveVm: true }), config.drivers.disabled);
    drivers.register(new KubernetesDriver({ provider, serveVm: true }), config.drivers.disabled);

    // Keystone trusts (`trust.*`): the conductor acts for each cluster with its trust; the API looks images up in
    // Glance, checks projects and writes each new cluster's trust row.
    const trustKeystone =
      config.auth.mode === 'keystone' && config.trust.authUrl && trustsConfigured(config.trust)
        ? new TrustKeystone(config.trust.authUrl, config.trust)
        : undefined;
    if (trustKeystone) await checkTrustee(trustKeystone, log);
    const trusts = trustKeystone
      ? new ClusterTrusts({ trusts: store.trusts, sealer, keystone: trustKeystone })
      : undefined;

    const notifier = new ClusterNotifier({ driver: config.notify.driver, host: config.notify.host });
    // One Keystone session per process (nothing is asked of Keystone until the first request needs it).
    keystone = config.keystone.authUrl !== null ? serviceSession(config.keystone) : undefined;
    const authenticator =
      config.auth.mode === 'keystone' && keystone
        ? new KeystoneAuthenticator({ config: config.keystone, session: keystone })
        : undefined;
    const cloud = trustKeystone ? cloudAccess(trustKeystone, sealer, keystone) : undefined;
    if (opts.api ?? true) {
      // The API binds first: an address in use stops the start before any work is claimed.
      await store.watchRevisions();
      api = await buildApi(
        { store, drivers, images, ca, config, wake: () => worker?.wake(), notifier, authenticator, cloud },
        log.child({ part: 'api' }),
      );
      await listen(api, config.api.host, config.api.port);
    }
    if (opts.conductor ?? config.conductor.enabled) {
      publisher = new OutboxPublisher({ outbox: store.outbox, log: log.child({ part: 'notify' }), ...config.notify });
      publisher.start();
      worker = new Worker(
        {
          store,
          drivers,
          ca,
          log: log.child({ part: 'conductor' }),
          maxAttempts: config.conductor.maxAttempts,
          notifier,
          flavors: config.flavors,
          trusts,
        },
        { concurrency: config.conductor.workers, leaseMs: config.conductor.leaseMs, pollMs: config.conductor.pollMs },
      );
      worker.start();
      if (config.conductor.syncMs > 0) {
        const w = worker;
        healthSync = new HealthSync(
          {
            store,
            drivers,
            ca,
            inventory: provider,
            balancers: provider,
            log: log.child({ part: 'health-sync' }),
            owner: w.owner,
            wake: () => w.wake(),
            flavors: config.flavors,
            notifier,
          },
          { periodMs: config.conductor.syncMs },
        );
        healthSync.start();
      }
      if (config.conductor.lbSyncMs > 0) {
        lbSync = new LoadBalancerSync(
          { store, drivers, ca, log: log.child({ part: 'lb-sync' }), owner: worker.owner, flavors: config.flavors },
          { periodMs: config.conductor.lbSyncMs },
        );
        lbSync.start();
      }
    }
    const binaries: ServiceBinary[] = [
      ...(api ? ['magnetar-api' as const] : []),
      ...(worker ? ['magnetar-conductor' as const] : []),
    ];
    heartbeats = binaries.map(
      (binary) =>
        new Heartbeat(store.services, {
          host: config.services.host,
          binary,
          intervalMs: config.services.heartbeatMs,
          log: log.child({ part: 'heartbeat' }),
        }),
    );
    await Promise.all(heartbeats.map((h) => h.start()));
  } catch (e) {
    await stopAll().catch(() => {});
    throw e;
  }
  const addr = api?.server.address();
  const url = typeof addr === 'object' && addr ? `http://${config.api.host}:${addr.port}` : undefined;
  return { config, store, api, worker, healthSync, lbSync, publisher, log, heartbeats, url, keystone, stop: stopAll };
}

/**
 * Authenticates the trustee domain admin once at start: wrong credentials stop the start (the operator fixes them);
 * an unreachable Keystone is only logged (trust work retries when it comes back).
 */
async function checkTrustee(keystone: TrustKeystone, log: Logger): Promise<void> {
  try {
    const domain = await keystone.trusteeDomainId();
    log.info({ trustee_domain_id: domain }, 'cluster trusts on');
  } catch (e) {
    if (e instanceof OpenStackError && !isTransient(e)) {
      throw new StartupError(
        `trust: the trustee domain admin cannot authenticate (${e.message}); fix trust.trustee_domain_admin_* and trust.trustee_domain_*`,
      );
    }
    log.warn({ err: (e as Error).message }, 'Keystone did not answer; cluster trusts will be made once it does');
  }
}

/** Listens, turning the usual bind failures into one-line start-up errors. */
async function listen(api: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await api.listen({ host, port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const where = `${host}:${port}`;
    const fix = 'choose another with --port / --host (MAGNETAR_PORT, MAGNETAR_HOST, api.port, api.host)';
    if (code === 'EADDRINUSE')
      throw new StartupError(`port ${port} on ${host} is already in use by another process: stop it or ${fix}`);
    if (code === 'EADDRNOTAVAIL')
      throw new StartupError(`address ${host} is not an address of this machine, cannot listen on ${where}: ${fix}`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new StartupError(`not allowed to listen on ${where} (ports below 1024 need privileges): ${fix}`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      throw new StartupError(`host ${host} cannot be resolved, cannot listen on ${where}: ${fix}`);
    throw e;
  }
}
