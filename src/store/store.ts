/** @module The store: every repository over one open database. */
import { CertificateRepository } from './certificates.ts';
import { ClusterRepository } from './clusters.ts';
import type { Db } from './database.ts';
import { EventRepository } from './events.ts';
import { OperationRepository } from './operations.ts';
import { TemplateRepository } from './templates.ts';

export class Store {
  readonly db: Db;
  readonly templates: TemplateRepository;
  readonly clusters: ClusterRepository;
  readonly operations: OperationRepository;
  readonly events: EventRepository;
  readonly certificates: CertificateRepository;

  constructor(db: Db) {
    this.db = db;
    this.templates = new TemplateRepository(db.kysely);
    this.clusters = new ClusterRepository(db.kysely);
    this.operations = new OperationRepository(db.kysely, db.engine);
    this.events = new EventRepository(db.kysely);
    this.certificates = new CertificateRepository(db.kysely);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
