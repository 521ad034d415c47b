/** @module The store: every repository over one open database. */
import { CertificateRepository } from './certificates.ts';
import { ClusterRepository } from './clusters.ts';
import type { Db } from './database.ts';
import { EventRepository } from './events.ts';
import { HealthRepository } from './health.ts';
import { NodegroupRepository } from './nodegroups.ts';
import { OperationRepository } from './operations.ts';
import { OutboxRepository } from './outbox.ts';
import { QuotaRepository } from './quotas.ts';
import { ServiceRepository } from './services.ts';
import { TemplateRepository } from './templates.ts';
import { TrustRepository } from './trusts.ts';
import { RevisionWatcher } from './revision-watcher.ts';
import { UsageRepository } from './usage.ts';

export class Store {
  readonly db: Db;
  readonly templates: TemplateRepository;
  readonly clusters: ClusterRepository;
  readonly operations: OperationRepository;
  readonly events: EventRepository;
  readonly certificates: CertificateRepository;
  readonly health: HealthRepository;
  readonly outbox: OutboxRepository;
  readonly nodegroups: NodegroupRepository;
  readonly quotas: QuotaRepository;
  readonly services: ServiceRepository;
  readonly usage: UsageRepository;
  readonly trusts: TrustRepository;

  constructor(db: Db) {
    this.db = db;
    this.templates = new TemplateRepository(db.kysely, db.reader);
    this.clusters = new ClusterRepository(db.kysely, db.reader);
    this.operations = new OperationRepository(db.kysely, db.engine);
    this.events = new EventRepository(db.kysely);
    this.certificates = new CertificateRepository(db.kysely);
    this.health = new HealthRepository(db.kysely);
    this.outbox = new OutboxRepository(db.kysely);
    this.nodegroups = new NodegroupRepository(db.kysely, db.reader);
    this.quotas = new QuotaRepository(db.kysely, db.reader);
    this.services = new ServiceRepository(db.kysely);
    this.usage = new UsageRepository(db.kysely);
    this.trusts = new TrustRepository(db.kysely);
  }

  #watcher: RevisionWatcher | undefined;

  /**
   * For API processes on PostgreSQL: follow template writes by LISTEN/NOTIFY so cached lists need no query per
   * request. A no-op on SQLite, where reading the revision row costs microseconds.
   */
  async watchRevisions(): Promise<void> {
    if (this.db.engine !== 'postgres' || this.#watcher || !this.db.url) return;
    const w = new RevisionWatcher(this.db.url);
    await w.start();
    this.#watcher = w;
    this.templates.useWatcher(w);
  }

  async close(): Promise<void> {
    await this.#watcher?.close();
    await this.db.close();
  }
}
