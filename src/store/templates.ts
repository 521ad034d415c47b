/** @module Cluster template repository. Visibility: own project, plus public templates; admins see all. */
import type { CompiledQuery, Kysely, Selectable } from 'kysely';
import type { Caller, ClusterTemplate } from '../core/types.ts';
import { CompiledOnce } from './compiled-once.ts';
import { listPage, type OnUnreadable, type Page, type PageRequest } from './page.ts';
import { fromTemplate, toTemplate, toTemplateWithoutLabels } from './rows.ts';
import type { ClusterTemplateTable, Database } from './schema.ts';

type TemplateRow = Selectable<ClusterTemplateTable>;
import type { RevisionWatcher } from './revision-watcher.ts';

export class TemplateRepository {
  readonly #db: Kysely<Database>;
  /** Where list pages are read (Db.reader: on SQLite, off the event loop). */
  readonly #reader: Kysely<Database>;
  /** Compiled once: the revision is read on every list request. */
  readonly #revision: CompiledQuery<{ value: number }>;
  constructor(db: Kysely<Database>, reader: Kysely<Database> = db) {
    this.#db = db;
    this.#reader = reader;
    this.#revision = db.selectFrom('revisions').select('value').where('name', '=', 'cluster_templates').compile();
  }

  async insert(t: Omit<ClusterTemplate, 'id'>): Promise<ClusterTemplate> {
    const row = await this.#db
      .insertInto('cluster_templates')
      .values(fromTemplate(t))
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#watcher?.bump();
    return toTemplate(row);
  }

  #watcher: RevisionWatcher | undefined;

  /** Lets list reads use LISTEN/NOTIFY (PostgreSQL) instead of reading the revision row. */
  useWatcher(w: RevisionWatcher): void {
    this.#watcher = w;
  }

  /**
   * A token that changes with every insert, update and delete of a template (triggers, migration 0003): the
   * watcher's generation while it listens, else the revision row read now.
   */
  async revision(): Promise<string> {
    const watched = this.#watcher?.current();
    if (watched !== undefined) return watched;
    const { rows } = await this.#db.executeQuery(this.#revision);
    return `r${Number(rows[0]?.value ?? 0)}`;
  }

  /** Single-object lookups see own-project templates and any public one (hidden or not); admins see all. */
  async findVisible(caller: Caller, by: { uuid: string } | { name: string }): Promise<ClusterTemplate[]> {
    const [column, value] = 'uuid' in by ? (['uuid', by.uuid] as const) : (['name', by.name] as const);
    const q = caller.isAdmin
      ? this.#findVisible[column].admin.with(value)
      : this.#findVisible[column].project.with(value, caller.projectId);
    return (await this.#db.executeQuery(q)).rows.map(toTemplate);
  }

  /** {@link findVisible}'s queries, by column and by whether the caller sees every project. */
  readonly #findVisible = (['uuid', 'name'] as const).reduce(
    (out, column) => {
      const by = (value: string) =>
        this.#db.selectFrom('cluster_templates').selectAll().where(column, '=', value).orderBy('id').limit(2);
      out[column] = {
        admin: new CompiledOnce((value) => by(value)),
        project: new CompiledOnce((value, project) =>
          by(value).where((eb) => eb.or([eb('project_id', '=', project), eb('public', '=', 1)])),
        ),
      };
      return out;
    },
    {} as Record<'uuid' | 'name', { admin: CompiledOnce<TemplateRow>; project: CompiledOnce<TemplateRow> }>,
  );

  async getByUuid(uuid: string): Promise<ClusterTemplate | undefined> {
    const row = await this.#db.selectFrom('cluster_templates').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    return row && toTemplate(row);
  }

  /** Lists own-project templates plus public, non-hidden ones; admins see every template. */
  async list(caller: Caller, page: PageRequest, onUnreadable?: OnUnreadable): Promise<Page<ClusterTemplate>> {
    return listPage(this.#query(caller), 'cluster_templates', page, ['labels'], toTemplate, onUnreadable);
  }

  /**
   * A page for rendering: each template with its labels left as their stored JSON text (written by JSON.stringify of
   * the same map, so it is already the rendered form), not parsed and stringified again.
   */
  async listForView(
    caller: Caller,
    page: PageRequest,
    onUnreadable?: OnUnreadable,
  ): Promise<Page<{ template: ClusterTemplate; labelsJson: string }>> {
    const decode = (r: Selectable<ClusterTemplateTable>): { template: ClusterTemplate; labelsJson: string } => ({
      template: toTemplateWithoutLabels(r),
      labelsJson: r.labels || '{}',
    });
    return listPage(this.#query(caller), 'cluster_templates', page, ['labels'], decode, onUnreadable);
  }

  /** The page query, run on the reader. */
  #query(caller: Caller) {
    let q = this.#reader.selectFrom('cluster_templates').selectAll();
    if (!caller.isAdmin) {
      q = q.where((eb) =>
        eb.or([eb('project_id', '=', caller.projectId), eb.and([eb('public', '=', 1), eb('hidden', '=', 0)])]),
      );
    }
    return q;
  }

  /**
   * The marker row of a page, only among the templates `caller` may see (own project, any public one; admins all): a
   * template the caller cannot see is no marker, exactly like one that does not exist.
   */
  async markerOf(caller: Caller, uuid: string, sortKey: string): Promise<{ id: number; value: unknown } | undefined> {
    let q = this.#db.selectFrom('cluster_templates').selectAll().where('uuid', '=', uuid);
    if (!caller.isAdmin) q = q.where((eb) => eb.or([eb('project_id', '=', caller.projectId), eb('public', '=', 1)]));
    const row = await q.executeTakeFirst();
    return row && { id: Number(row.id), value: (row as Record<string, unknown>)[sortKey] };
  }

  async update(id: number, t: Omit<ClusterTemplate, 'id'>): Promise<ClusterTemplate> {
    const row = await this.#db
      .updateTable('cluster_templates')
      .set(fromTemplate(t))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#watcher?.bump();
    return toTemplate(row);
  }

  /** Deletes the template unless a cluster references it; returns false when referenced (checked in the same transaction). */
  async deleteUnlessReferenced(t: ClusterTemplate): Promise<boolean> {
    const deleted = await this.#db.transaction().execute(async (tx) => {
      const used = await tx
        .selectFrom('clusters')
        .select('id')
        .where('cluster_template_id', '=', t.uuid)
        .limit(1)
        .executeTakeFirst();
      if (used) return false;
      await tx.deleteFrom('cluster_templates').where('id', '=', t.id).execute();
      return true;
    });
    if (deleted) this.#watcher?.bump();
    return deleted;
  }

  async isReferenced(uuid: string): Promise<boolean> {
    const used = await this.#db
      .selectFrom('clusters')
      .select('id')
      .where('cluster_template_id', '=', uuid)
      .limit(1)
      .executeTakeFirst();
    return used !== undefined;
  }
}
