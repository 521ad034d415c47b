/**
 * @module Composition root: the only place that constructs real implementations (store, provider, drivers, CA,
 * API, conductor) and wires them together. `magnetar serve` runs both halves in one process.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApi } from './api/app.ts';
import { ClusterCa } from './certs/cluster-ca.ts';
import { KeySealer, loadOrCreateMasterKey } from './certs/key-sealing.ts';
import { checkApiExposure, type Config } from './config/load.ts';
import { HealthSync } from './conductor/health-sync.ts';
import { Heartbeat, type ServiceBinary } from './conductor/heartbeat.ts';
import { Worker } from './conductor/worker.ts';
import type { ImageCatalog } from './core/ports.ts';
import { DriverRegistry } from './drivers/registry.ts';
import { DockerDriver } from './drivers/docker/driver.ts';
import { localInventory } from './drivers/local-common/provisioning.ts';
import { SwarmDriver } from './drivers/swarm/driver.ts';
import { Engine } from './providers/docker/engine.ts';
import { dockerImageCatalog } from './providers/docker/image-catalog.ts';
import { ClusterNotifier } from './notify/outbox.ts';
import { OutboxPublisher } from './notify/publisher.ts';
import { LocalMachines } from './providers/docker/machines.ts';
import { openDb } from './store/database.ts';
import { Store } from './store/store.ts';

/** A running Magnetar: API and/or conductor over one store. */
export interface Service {
  config: Config;
  store: Store;
  api: FastifyInstance | undefined;
  worker: Worker | undefined;
  /** The periodic status and health sync (runs where the conductor runs, when `conductor.sync_seconds` > 0). */
  healthSync: HealthSync | undefined;
  /** Drains the notification outbox (runs where the conductor runs). */
  publisher: OutboxPublisher | undefined;
  log: Logger;
  /** One heartbeat per half this process runs (GET /v1/mservices). */
  heartbeats: Heartbeat[];
  /** The URL the API listens on, when it runs. */
  url: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  api?: boolean;
  conductor?: boolean;
  logger?: Logger;
}

export async function startService(config: Config, opts: StartOptions = {}): Promise<Service> {
  if (opts.api ?? true) checkApiExposure(config);
  const log = opts.logger ?? pino({ level: config.log.level, base: { svc: 'magnetar' } });
  const store = new Store(await openDb({ url: config.databaseUrl }));
  const sealer = new KeySealer(await loadOrCreateMasterKey(join(config.stateDir, 'master.key')));
  const ca = new ClusterCa(store.certificates, sealer);
  const host = new Engine({ socketPath: config.docker.socket });
  const images: ImageCatalog = dockerImageCatalog(host);
  const drivers = new DriverRegistry();
  const machines = new LocalMachines(host, config.docker.nodeImage);
  drivers.register(new SwarmDriver({ machines, serveVm: true }), config.drivers.disabled);
  drivers.register(new DockerDriver({ machines, serveVm: true }), config.drivers.disabled);

  const notifier = new ClusterNotifier({ driver: config.notify.driver, host: config.notify.host });
  let worker: Worker | undefined;
  let publisher: OutboxPublisher | undefined;
  let healthSync: HealthSync | undefined;
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
          inventory: localInventory(machines),
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
  }
  let api: FastifyInstance | undefined;
  let url: string | undefined;
  if (opts.api ?? true) {
    await store.watchRevisions();
    api = await buildApi(
      { store, drivers, images, ca, config, wake: () => worker?.wake(), notifier },
      log.child({ part: 'api' }),
    );
    await api.listen({ host: config.api.host, port: config.api.port });
    const addr = api.server.address();
    url = typeof addr === 'object' && addr ? `http://${config.api.host}:${addr.port}` : undefined;
  }
  const binaries: ServiceBinary[] = [
    ...(api ? ['magnetar-api' as const] : []),
    ...(worker ? ['magnetar-conductor' as const] : []),
  ];
  const heartbeats = binaries.map(
    (binary) =>
      new Heartbeat(store.services, {
        host: config.services.host,
        binary,
        intervalMs: config.services.heartbeatMs,
        log: log.child({ part: 'heartbeat' }),
      }),
  );
  await Promise.all(heartbeats.map((h) => h.start()));
  return {
    config,
    store,
    api,
    worker,
    healthSync,
    publisher,
    log,
    heartbeats,
    url,
    async stop() {
      await Promise.all(heartbeats.map((h) => h.stop()));
      await api?.close();
      await healthSync?.stop();
      await worker?.stop();
      await publisher?.stop();
      host.close();
      await store.close();
    },
  };
}
