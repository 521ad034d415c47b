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
import type { Config } from './config/load.ts';
import { Worker } from './conductor/worker.ts';
import type { ImageCatalog } from './core/ports.ts';
import { DriverRegistry } from './drivers/registry.ts';
import { SwarmDriver } from './drivers/swarm/driver.ts';
import { Engine } from './providers/docker/engine.ts';
import { imageOsDistro } from './providers/docker/image-build.ts';
import { LocalMachines } from './providers/docker/machines.ts';
import { openDb } from './store/database.ts';
import { Store } from './store/store.ts';

/** A running Magnetar: API and/or conductor over one store. */
export interface Service {
  config: Config;
  store: Store;
  api: FastifyInstance | undefined;
  worker: Worker | undefined;
  log: Logger;
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
  const log = opts.logger ?? pino({ level: config.log.level, base: { svc: 'magnetar' } });
  const store = new Store(await openDb({ url: config.databaseUrl }));
  const sealer = new KeySealer(await loadOrCreateMasterKey(join(config.stateDir, 'master.key')));
  const ca = new ClusterCa(store.certificates, sealer);
  const host = new Engine({ socketPath: config.docker.socket });
  const images: ImageCatalog = { osDistro: (id) => imageOsDistro(host, id) };
  const drivers = new DriverRegistry();
  const machines = new LocalMachines(host, config.docker.nodeImage);
  drivers.register(new SwarmDriver({ machines, serveVm: true }), config.drivers.disabled);

  let worker: Worker | undefined;
  if (opts.conductor ?? config.conductor.enabled) {
    worker = new Worker(
      { store, drivers, ca, log: log.child({ part: 'conductor' }), maxAttempts: config.conductor.maxAttempts },
      { concurrency: config.conductor.workers, leaseMs: config.conductor.leaseMs, pollMs: config.conductor.pollMs },
    );
    worker.start();
  }
  let api: FastifyInstance | undefined;
  let url: string | undefined;
  if (opts.api ?? true) {
    api = await buildApi({ store, drivers, images, ca, config, wake: () => worker?.wake() }, log.child({ part: 'api' }));
    await api.listen({ host: config.api.host, port: config.api.port });
    const addr = api.server.address();
    url = typeof addr === 'object' && addr ? `http://${config.api.host}:${addr.port}` : undefined;
  }
  return {
    config,
    store,
    api,
    worker,
    log,
    url,
    async stop() {
      await api?.close();
      await worker?.stop();
      host.close();
      await store.close();
    },
  };
}
